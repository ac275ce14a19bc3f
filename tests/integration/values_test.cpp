// Every value kind, both ways: host -> guest arguments and guest -> host
// host-function arguments and results, bit-exact for floats.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "test_support.h"

namespace {

// A host function that returns its only argument (copying strings/bytes).
hl_error_t *echo_one(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  if (args[0].kind == HL_VAL_STRING) return hl_val_set_string(result, args[0].of.string.ptr, args[0].of.string.len);
  if (args[0].kind == HL_VAL_BYTES) return hl_val_set_bytes(result, args[0].of.bytes.ptr, args[0].of.bytes.len);
  *result = args[0];
  return nullptr;
}

void register_echoes(hl_sandbox_t *sb) {
  const struct {
    const char *name;
    hl_val_kind_t kind;
  } echoes[] = {{"HostEchoI32", HL_VAL_I32},   {"HostEchoU32", HL_VAL_U32},       {"HostEchoI64", HL_VAL_I64},
                {"HostEchoU64", HL_VAL_U64},   {"HostEchoF32", HL_VAL_F32},       {"HostEchoF64", HL_VAL_F64},
                {"HostEchoBool", HL_VAL_BOOL}, {"HostEchoString", HL_VAL_STRING}, {"HostEchoBytes", HL_VAL_BYTES}};
  for (const auto &e : echoes) {
    ErrorPtr err(hl_register(sb, e.name, &e.kind, 1, e.kind, echo_one, nullptr, nullptr));
    ASSERT_FALSE(err) << describe(err);
  }
}

std::vector<hl_val_t> one_of_each(float f, double d, const std::string &s, const std::vector<uint8_t> &b) {
  std::vector<hl_val_t> v(9);
  v[0].kind = HL_VAL_I32, v[0].of.i32 = INT32_MIN;
  v[1].kind = HL_VAL_U32, v[1].of.u32 = UINT32_MAX;
  v[2].kind = HL_VAL_I64, v[2].of.i64 = INT64_MIN;
  v[3].kind = HL_VAL_U64, v[3].of.u64 = UINT64_MAX;
  v[4].kind = HL_VAL_F32, v[4].of.f32 = f;
  v[5].kind = HL_VAL_F64, v[5].of.f64 = d;
  v[6].kind = HL_VAL_BOOL, v[6].of.boolean = 1;
  v[7] = str(s);
  v[8].kind = HL_VAL_BYTES, v[8].of.bytes.ptr = b.data(), v[8].of.bytes.len = b.size();
  return v;
}

float f32_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
double f64_bits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

TEST(Values, EveryKindThroughHostFunctionsIsBitExact) {
  SandboxPtr sb = new_sandbox();
  register_echoes(sb.get());
  const std::string text("embedded\0nul and UTF-8 \xc3\xa9", 26);
  const std::vector<uint8_t> bytes = {0, 1, 2, 0xff, 0};
  const std::pair<float, double> specials[] = {
      {-0.0f, -0.0},
      {std::numeric_limits<float>::infinity(), -std::numeric_limits<double>::infinity()},
      {f32_bits(0x7fc12345), f64_bits(0x7ff8000000abcdefull)},  // NaNs with payloads
      {std::numeric_limits<float>::denorm_min(), std::numeric_limits<double>::max()},
  };
  for (const auto &[f, d] : specials) {
    std::vector<hl_val_t> args = one_of_each(f, d, text, bytes);
    Result r;
    ErrorPtr err(hl_call(sb.get(), "EchoAllViaHost", args.data(), args.size(), &r.val));
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(r.val.of.i32, 9) << "every kind must come back unchanged";
  }
}

TEST(Values, ElevenParametersOfMixedKinds) {
  SandboxPtr sb = new_sandbox();
  const std::string s = "four";
  const std::vector<uint8_t> b = {1, 2, 3};
  std::vector<hl_val_t> args = one_of_each(2.5f, 100.75, s, b);
  args[0].of.i32 = 1, args[1].of.u32 = 2, args[2].of.i64 = 3, args[3].of.u64 = 4;
  args.push_back(i32(1000));
  args.push_back(i64(10000));
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Mix11", args.data(), args.size(), &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i64, 1 + 2 + 3 + 4 + 2 + 100 + 1 + 4 + 3 + 1000 + 10000);
}

TEST(Values, TooLargeNamesTheLimitAndTheSetter) {
  ConfigPtr cfg(hl_config_new());
  ErrorPtr set(hl_config_set_input_buffer_size(cfg.get(), 8192));
  ASSERT_FALSE(set);
  SandboxPtr sb = new_sandbox(cfg.get());
  std::string big(9000, 'x');
  hl_val_t arg = str(big);
  std::string msg = expect_call_error(sb.get(), "Echo", &arg, 1, HL_ERROR_TOO_LARGE);
  EXPECT_NE(msg.find("8192"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hl_config_set_input_buffer_size"), std::string::npos) << msg;
}

TEST(Values, BufferSizesAreValidated) {
  ConfigPtr cfg(hl_config_new());
  ErrorPtr small(hl_config_set_output_buffer_size(cfg.get(), 100));
  ASSERT_TRUE(small);
  EXPECT_EQ(hl_error_code(small.get()), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hl_error_message(small.get())).find("hl_config_set_output_buffer_size"), std::string::npos);
  ErrorPtr big(hl_config_set_input_buffer_size(cfg.get(), 1ull << 40));
  ASSERT_TRUE(big);
}

struct LogRecord {
  hl_log_level_t level;
  std::string file, message;
  uint32_t line;
};

TEST(Values, MaxLogLevelIsValidated) {
  ConfigPtr cfg(hl_config_new());
  ErrorPtr bad(hl_config_set_max_log_level(cfg.get(), 6));
  ASSERT_TRUE(bad);
  EXPECT_EQ(hl_error_code(bad.get()), HL_ERROR_INVALID_ARGUMENT);
  ErrorPtr ok(hl_config_set_max_log_level(cfg.get(), HL_LOG_TRACE));
  EXPECT_FALSE(ok);
}

}  // namespace
