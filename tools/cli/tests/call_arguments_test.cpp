#include "call_arguments.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace hlcli {
namespace {

const FileReader kNoFiles = [](const std::string &path) -> std::string {
  ADD_FAILURE() << "read " << path;
  return "";
};

CallArgument convert(hl_val_kind_t kind, std::string_view text, const FileReader &files = kNoFiles) {
  return convert_argument(kind, text, files);
}

std::string refusal(hl_val_kind_t kind, std::string_view text) {
  try {
    convert(kind, text);
  } catch (const ArgumentError &e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted '" << text << "'";
  return "";
}

TEST(CallArguments, SplitsAnExplicitKind) {
  KindedText t = split_explicit_kind("i64:5");
  ASSERT_TRUE(t.kind);
  EXPECT_EQ(*t.kind, HL_VAL_I64);
  EXPECT_EQ(t.text, "5");
  EXPECT_EQ(*split_explicit_kind("string:a:b").kind, HL_VAL_STRING);
  EXPECT_EQ(split_explicit_kind("string:a:b").text, "a:b");
  EXPECT_EQ(split_explicit_kind("bytes:").text, "");
  for (const char *none : {"5", "http://x", "I64:5", "void:1", ":5", "i64"}) {
    EXPECT_FALSE(split_explicit_kind(none).kind) << none;
    EXPECT_EQ(split_explicit_kind(none).text, none);
  }
}

TEST(CallArguments, Integers) {
  EXPECT_EQ(convert(HL_VAL_I32, "-2147483648").as_val().of.i32, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(convert(HL_VAL_I32, "0x7fffffff").as_val().of.i32, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(convert(HL_VAL_U32, "4294967295").as_val().of.u32, 4294967295u);
  EXPECT_EQ(convert(HL_VAL_I64, "-9223372036854775808").as_val().of.i64, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(convert(HL_VAL_U64, "0xFFFFFFFFFFFFFFFF").as_val().of.u64, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(convert(HL_VAL_I32, "42").as_val().kind, HL_VAL_I32);
  for (const char *bad : {"", "forty", "2147483648", "1.0", "+1", " 1", "1 ", "0x", "0x-1", "-0x1", "1e3"})
    EXPECT_FALSE(refusal(HL_VAL_I32, bad).empty()) << bad;
  EXPECT_FALSE(refusal(HL_VAL_U32, "-1").empty());
  EXPECT_FALSE(refusal(HL_VAL_U64, "18446744073709551616").empty());
  EXPECT_EQ(refusal(HL_VAL_I32, "forty"),
            "'forty' is not i32: give a whole number from -2147483648 to 2147483647 (decimal, or 0x hex)");
}

TEST(CallArguments, FloatsAndBools) {
  EXPECT_EQ(convert(HL_VAL_F32, "1.5").as_val().of.f32, 1.5f);
  EXPECT_EQ(convert(HL_VAL_F64, "-2e3").as_val().of.f64, -2000.0);
  EXPECT_TRUE(std::isinf(convert(HL_VAL_F64, "-inf").as_val().of.f64));
  EXPECT_TRUE(std::isnan(convert(HL_VAL_F32, "nan").as_val().of.f32));
  EXPECT_FALSE(refusal(HL_VAL_F32, "1e39").empty()) << "does not fit a float";
  EXPECT_FALSE(refusal(HL_VAL_F64, "one").empty());
  EXPECT_FALSE(refusal(HL_VAL_F64, "+1").empty());
  EXPECT_EQ(convert(HL_VAL_BOOL, "true").as_val().of.boolean, 1);
  EXPECT_EQ(convert(HL_VAL_BOOL, "1").as_val().of.boolean, 1);
  EXPECT_EQ(convert(HL_VAL_BOOL, "false").as_val().of.boolean, 0);
  EXPECT_EQ(convert(HL_VAL_BOOL, "0").as_val().of.boolean, 0);
  EXPECT_FALSE(refusal(HL_VAL_BOOL, "yes").empty());
}

TEST(CallArguments, StringsAndBytes) {
  CallArgument s = convert(HL_VAL_STRING, "héllo");
  hl_val_t v = s.as_val();
  EXPECT_EQ(std::string(v.of.string.ptr, v.of.string.len), "héllo");
  EXPECT_EQ(convert(HL_VAL_STRING, "@@home").buffer, "@home");
  EXPECT_EQ(convert(HL_VAL_STRING, "@").buffer, "@");
  EXPECT_EQ(convert(HL_VAL_STRING, "").buffer, "");
  CallArgument b = convert(HL_VAL_BYTES, "00ff10");
  v = b.as_val();
  ASSERT_EQ(v.of.bytes.len, 3u);
  EXPECT_EQ(v.of.bytes.ptr[1], 0xff);
  EXPECT_EQ(convert(HL_VAL_BYTES, "").buffer, "");
  EXPECT_FALSE(refusal(HL_VAL_BYTES, "0").empty());
  EXPECT_FALSE(refusal(HL_VAL_BYTES, "zz").empty());
  EXPECT_FALSE(refusal(HL_VAL_BYTES, "0x00").empty());
}

TEST(CallArguments, AtFileReadsThroughTheReader) {
  std::string asked;
  FileReader files = [&](const std::string &path) {
    asked = path;
    return std::string("contents\0with nul", 17);
  };
  EXPECT_EQ(convert(HL_VAL_STRING, "@in.txt", files).buffer.size(), 17u);
  EXPECT_EQ(asked, "in.txt");
  EXPECT_EQ(convert(HL_VAL_BYTES, "@-", files).buffer.substr(0, 8), "contents");
  EXPECT_EQ(asked, "-");
  FileReader failing = [](const std::string &) -> std::string { throw ArgumentError("cannot read 'x'"); };
  EXPECT_THROW(convert(HL_VAL_STRING, "@x", failing), ArgumentError);
}

TEST(CallArguments, VoidIsNoArgumentKind) {
  EXPECT_THROW(convert(HL_VAL_VOID, ""), ArgumentError);
  EXPECT_THROW(convert(200, "1"), ArgumentError);
}

}  // namespace
}  // namespace hlcli
