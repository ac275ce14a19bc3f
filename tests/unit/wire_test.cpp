// The codec must round-trip every kind and reject anything malformed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "abi/hl_wire.h"
#include "protocol/message_header.h"

namespace {

std::vector<uint8_t> encode_call(const char *name, const std::vector<hl_wire_val> &args, uint32_t cap = 4096) {
  std::vector<uint8_t> buf(cap);
  hl_wire_writer w;
  hl_wire_begin(&w, buf.data(), cap, HL_MSG_CALL);
  hl_wire_put_str(&w, name, static_cast<uint32_t>(std::strlen(name)));
  hl_wire_put_u8(&w, static_cast<uint8_t>(args.size()));
  for (const auto &a : args) hl_wire_put_val(&w, &a);
  uint32_t len = hl_wire_end(&w);
  buf.resize(len);
  return buf;
}

hl_wire_val make(uint8_t kind) {
  hl_wire_val v{};
  v.kind = kind;
  return v;
}

TEST(Wire, RoundTripsEveryKind) {
  std::vector<hl_wire_val> args;
  hl_wire_val v = make(HL_WIRE_I32);
  v.of.i32 = -7;
  args.push_back(v);
  v = make(HL_WIRE_U64);
  v.of.u64 = 0xfedcba9876543210ull;
  args.push_back(v);
  v = make(HL_WIRE_F64);
  v.of.f64 = -0.0;
  args.push_back(v);
  v = make(HL_WIRE_F32);
  v.of.f32 = NAN;
  args.push_back(v);
  v = make(HL_WIRE_BOOL);
  v.of.boolean = 1;
  args.push_back(v);
  v = make(HL_WIRE_STRING);
  v.of.buf.ptr = reinterpret_cast<const uint8_t *>("hello");
  v.of.buf.len = 5;
  args.push_back(v);
  v = make(HL_WIRE_BYTES);
  v.of.buf.ptr = reinterpret_cast<const uint8_t *>("\0\1\2");
  v.of.buf.len = 3;
  args.push_back(v);

  std::vector<uint8_t> msg = encode_call("Fn", args);
  ASSERT_FALSE(msg.empty());
  hl_wire_reader r;
  ASSERT_EQ(hl_wire_open(&r, msg.data(), static_cast<uint32_t>(msg.size())), HL_MSG_CALL);
  const uint8_t *name;
  uint32_t name_len;
  ASSERT_TRUE(hl_wire_get_str(&r, &name, &name_len));
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(name), name_len), "Fn");
  ASSERT_EQ(hl_wire_get_u8(&r), args.size());
  hl_wire_val out[7];
  for (auto &o : out) ASSERT_TRUE(hl_wire_get_val(&r, &o));
  EXPECT_TRUE(hl_wire_done(&r));
  EXPECT_EQ(out[0].of.i32, -7);
  EXPECT_EQ(out[1].of.u64, 0xfedcba9876543210ull);
  EXPECT_TRUE(std::signbit(out[2].of.f64));
  EXPECT_TRUE(std::isnan(out[3].of.f32));
  EXPECT_EQ(out[4].of.boolean, 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(out[5].of.buf.ptr), out[5].of.buf.len), "hello");
  EXPECT_EQ(out[5].of.buf.ptr[5], 0) << "strings carry a NUL for C guests";
  EXPECT_EQ(out[6].of.buf.len, 3u);
}

TEST(Wire, WriterReportsOverflowAndNeededSize) {
  std::vector<uint8_t> buf(16);
  hl_wire_writer w;
  hl_wire_begin(&w, buf.data(), 16, HL_MSG_PRINT);
  hl_wire_put_str(&w, "0123456789", 10);
  EXPECT_EQ(hl_wire_end(&w), 0u);
  EXPECT_EQ(w.needed, 8u + 4u + 10u + 1u);
}

TEST(Wire, RejectsMalformedHeaders) {
  hl_wire_reader r;
  uint8_t small[4] = {8, 0, 0, 0};
  EXPECT_EQ(hl_wire_open(&r, small, 4), 0) << "shorter than a header";
  uint8_t too_long[8] = {0xff, 0xff, 0, 0, HL_MSG_RESULT, 0, 0, 0};
  EXPECT_EQ(hl_wire_open(&r, too_long, 8), 0) << "total_len beyond the buffer";
  uint8_t too_short[8] = {4, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0};
  EXPECT_EQ(hl_wire_open(&r, too_short, 8), 0) << "total_len below the header";
  uint8_t padded[8] = {8, 0, 0, 0, HL_MSG_RESULT, 1, 0, 0};
  EXPECT_EQ(hl_wire_open(&r, padded, 8), 0) << "non-zero padding";
  uint8_t no_type[8] = {8, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(hl_wire_open(&r, no_type, 8), 0) << "type 0";
}

TEST(Wire, RejectsLengthsPastTheMessage) {
  // RESULT with a string claiming 4 GiB.
  uint8_t msg[16] = {16, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0, HL_WIRE_STRING, 0xff, 0xff, 0xff, 0xff, 'a', 'b', 0};
  hl_wire_reader r;
  ASSERT_EQ(hl_wire_open(&r, msg, sizeof msg), HL_MSG_RESULT);
  hl_wire_val v;
  EXPECT_FALSE(hl_wire_get_val(&r, &v));
  EXPECT_FALSE(hl_wire_done(&r));
}

TEST(Wire, RejectsStringsWithoutNulAndBadBools) {
  uint8_t no_nul[15] = {15, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0, HL_WIRE_STRING, 1, 0, 0, 0, 'a', 'b'};
  hl_wire_reader r;
  ASSERT_EQ(hl_wire_open(&r, no_nul, sizeof no_nul), HL_MSG_RESULT);
  hl_wire_val v;
  EXPECT_FALSE(hl_wire_get_val(&r, &v));

  uint8_t bad_bool[10] = {10, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0, HL_WIRE_BOOL, 2};
  ASSERT_EQ(hl_wire_open(&r, bad_bool, sizeof bad_bool), HL_MSG_RESULT);
  EXPECT_FALSE(hl_wire_get_val(&r, &v));

  uint8_t bad_kind[9] = {9, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0, 42};
  ASSERT_EQ(hl_wire_open(&r, bad_kind, sizeof bad_kind), HL_MSG_RESULT);
  EXPECT_FALSE(hl_wire_get_val(&r, &v));
}

TEST(Wire, ReaderStaysFailedAfterAnError) {
  uint8_t msg[9] = {9, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0, HL_WIRE_I32};
  hl_wire_reader r;
  ASSERT_EQ(hl_wire_open(&r, msg, sizeof msg), HL_MSG_RESULT);
  hl_wire_val v;
  EXPECT_FALSE(hl_wire_get_val(&r, &v));
  EXPECT_EQ(hl_wire_get_u8(&r), 0);
  EXPECT_TRUE(r.failed);
}

// Every header rule hl_wire_open() enforces gets its own explanation.
TEST(Wire, MalformedHeadersAreDescribed) {
  auto refused = [](std::vector<uint8_t> msg) {
    hl_wire_reader r;
    EXPECT_EQ(hl_wire_open(&r, msg.data(), static_cast<uint32_t>(msg.size())), 0);
    return hl::describe_malformed_header(msg, "output buffer");
  };
  const std::vector<uint8_t> valid = {9, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0, HL_WIRE_VOID};
  hl_wire_reader r;
  ASSERT_EQ(hl_wire_open(&r, valid.data(), static_cast<uint32_t>(valid.size())), HL_MSG_RESULT);

  EXPECT_EQ(refused({9, 0, 0, 0, HL_MSG_RESULT, 0, 0}),
            "malformed message header: the 7-byte output buffer cannot hold the 8-byte header");
  EXPECT_EQ(refused({4, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0, 0}),
            "malformed message header: total length 4 is less than the header's 8 bytes");
  EXPECT_EQ(refused({100, 0, 0, 0, HL_MSG_RESULT, 0, 0, 0, 0}),
            "malformed message header: total length 100 is past the end of the 9-byte output buffer");
  for (size_t i = 5; i < 8; i++) {
    std::vector<uint8_t> padded = valid;
    padded[i] = 0xff;
    EXPECT_EQ(refused(padded),
              "malformed message header: padding byte " + std::to_string(i) + " is 0xff (bytes 5 to 7 must be 0)");
  }
  EXPECT_EQ(refused({9, 0, 0, 0, 0, 0, 0, 0, 0}), "malformed message header: message type 0 is not a message");
}

}  // namespace
