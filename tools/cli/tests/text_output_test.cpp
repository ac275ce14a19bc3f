#include "text_output.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace hlcli {
namespace {

hl_val_t value(hl_val_kind_t kind) {
  hl_val_t v{};
  v.kind = kind;
  return v;
}

TEST(TextOutput, JsonStringsAreAlwaysValid) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("line\nnext\ttab\r"), "\"line\\nnext\\ttab\\r\"");
  EXPECT_EQ(json_string(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(json_string(std::string("nul\0", 4)), "\"nul\\u0000\"");
  EXPECT_EQ(json_string("héllo ✓ 😀"), "\"héllo ✓ 😀\"");
  EXPECT_EQ(json_string("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(json_string("\xc0\x80"), "\"\\ufffd\\ufffd\"") << "overlong";
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"") << "surrogate";
  EXPECT_EQ(json_string("\xe2\x9c"), "\"\\ufffd\\ufffd\"") << "truncated";
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"") << "past U+10FFFF";
}

TEST(TextOutput, PrintableDefusesTerminalControls) {
  EXPECT_EQ(printable("ok\n\ttab"), "ok\n\ttab");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(printable("\xc2\x9b"
                      "2J"),
            "\\xc2\\x9b2J")
      << "C1 CSI";
  EXPECT_EQ(printable("héllo"), "héllo");
  EXPECT_EQ(printable("\xff"), "\\xff");
  EXPECT_EQ(printable(std::string("\0", 1)), "\\x00");
}

TEST(TextOutput, PlainValues) {
  hl_val_t v = value(HL_VAL_I32);
  v.of.i32 = -42;
  EXPECT_EQ(plain_value(v), "-42");
  v = value(HL_VAL_U64);
  v.of.u64 = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(plain_value(v), "18446744073709551615");
  v = value(HL_VAL_F32);
  v.of.f32 = 1.1f;
  EXPECT_EQ(plain_value(v), "1.1") << "shortest form that reads back";
  v = value(HL_VAL_F64);
  v.of.f64 = 0.1 + 0.2;
  EXPECT_EQ(plain_value(v), "0.30000000000000004");
  v = value(HL_VAL_BOOL);
  v.of.boolean = 1;
  EXPECT_EQ(plain_value(v), "true");
  v = value(HL_VAL_STRING);
  v.of.string.ptr = "text";
  v.of.string.len = 4;
  EXPECT_EQ(plain_value(v), "text");
  const uint8_t bytes[] = {0x00, 0xab, 0x10};
  v = value(HL_VAL_BYTES);
  v.of.bytes.ptr = bytes;
  v.of.bytes.len = 3;
  EXPECT_EQ(plain_value(v), "00ab10");
  EXPECT_EQ(plain_value(value(HL_VAL_VOID)), "");
}

TEST(TextOutput, JsonValues) {
  hl_val_t v = value(HL_VAL_I32);
  v.of.i32 = 42;
  EXPECT_EQ(json_value(v), "{\"kind\": \"i32\", \"value\": 42}");
  EXPECT_EQ(json_value(value(HL_VAL_VOID)), "{\"kind\": \"void\", \"value\": null}");
  v = value(HL_VAL_F64);
  v.of.f64 = -INFINITY;
  EXPECT_EQ(json_value(v), "{\"kind\": \"f64\", \"value\": \"-inf\"}");
  v.of.f64 = 2.5;
  EXPECT_EQ(json_value(v), "{\"kind\": \"f64\", \"value\": 2.5}");
  v = value(HL_VAL_BOOL);
  EXPECT_EQ(json_value(v), "{\"kind\": \"bool\", \"value\": false}");
  v = value(HL_VAL_STRING);
  v.of.string.ptr = "a\"b";
  v.of.string.len = 3;
  EXPECT_EQ(json_value(v), "{\"kind\": \"string\", \"value\": \"a\\\"b\"}");
}

TEST(TextOutput, DurationsAndSignatures) {
  EXPECT_EQ(human_duration(999), "999 ns");
  EXPECT_EQ(human_duration(23'456), "23.5 us");
  EXPECT_EQ(human_duration(1'234'567), "1.23 ms");
  EXPECT_EQ(human_duration(12'300'000'000), "12.3 s");
  EXPECT_EQ(signature_text("Add", {HL_VAL_I32, HL_VAL_I32}, HL_VAL_I32), "Add(i32, i32) -> i32");
  EXPECT_EQ(signature_text("Spin", {}, HL_VAL_VOID), "Spin() -> void");
  EXPECT_EQ(signature_text("Bad\x1b", {}, HL_VAL_VOID), "Bad\\x1b() -> void");
}

}  // namespace
}  // namespace hlcli
