// Guest SDK tests (tests/guests/sdkguest.c) through the C ABI: typed
// exports of every kind, the fallback, typed host calls, snprintf against the
// host's glibc, malloc, setjmp, assert, abort and logging.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

SandboxPtr sdk_sandbox(const hl_config_t *config = nullptr) {
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(config, HL_SDKGUEST_PATH, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

hl_val_t u32v(uint32_t v) {
  hl_val_t x{};
  x.kind = HL_VAL_U32;
  x.of.u32 = v;
  return x;
}
hl_val_t u64v(uint64_t v) {
  hl_val_t x{};
  x.kind = HL_VAL_U64;
  x.of.u64 = v;
  return x;
}
hl_val_t f32v(float v) {
  hl_val_t x{};
  x.kind = HL_VAL_F32;
  x.of.f32 = v;
  return x;
}
hl_val_t f64v(double v) {
  hl_val_t x{};
  x.kind = HL_VAL_F64;
  x.of.f64 = v;
  return x;
}
hl_val_t boolv(bool v) {
  hl_val_t x{};
  x.kind = HL_VAL_BOOL;
  x.of.boolean = v ? 1 : 0;
  return x;
}
// Borrows b.
hl_val_t bytesv(const std::string &b) {
  hl_val_t x{};
  x.kind = HL_VAL_BYTES;
  x.of.bytes.ptr = reinterpret_cast<const uint8_t *>(b.data());
  x.of.bytes.len = b.size();
  return x;
}

float f32_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
double f64_from_bits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}
uint32_t bits_of(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}
uint64_t bits_of(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

// Calls fn expecting success; returns the result (a string or bytes result
// is copied into *text and its pointer cleared).
hl_val_t call(hl_sandbox_t *sb, const char *fn, std::vector<hl_val_t> args = {}, std::string *text = nullptr) {
  Result r;
  ErrorPtr err(hl_call(sb, fn, args.data(), args.size(), &r.val));
  EXPECT_FALSE(err) << fn << ": " << describe(err);
  hl_val_t v = r.val;
  if (r.val.kind == HL_VAL_STRING || r.val.kind == HL_VAL_BYTES) {
    if (text != nullptr) *text = std::string(r.val.of.string.ptr, r.val.of.string.len);
    v.of.string.ptr = nullptr;
    v.flags = 0;
  }
  return v;
}

std::string call_text(hl_sandbox_t *sb, const char *fn, std::vector<hl_val_t> args = {}) {
  std::string text;
  hl_val_t v = call(sb, fn, std::move(args), &text);
  EXPECT_TRUE(v.kind == HL_VAL_STRING || v.kind == HL_VAL_BYTES) << fn << " returned kind " << int(v.kind);
  return text;
}

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

size_t count_of(const std::string &haystack, const std::string &needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) n++;
  return n;
}

std::string letters(size_t len) {
  std::string s(len, ' ');
  for (size_t i = 0; i < len; i++) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

// The host's glibc formats the same way the guest should.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
template <typename... A>
std::string host_format(const char *fmt, A... a) {
  int n = std::snprintf(nullptr, 0, fmt, a...);
  std::string s(static_cast<size_t>(n), '\0');
  std::snprintf(s.data(), s.size() + 1, fmt, a...);
  return s;
}
#pragma GCC diagnostic pop

// Expects fn to abort: HL_ERROR_GUEST_ABORTED naming the code; returns the message.
std::string expect_abort(hl_sandbox_t *sb, const char *fn, std::vector<hl_val_t> args, uint32_t code) {
  std::string msg = expect_call_error(sb, fn, args.data(), args.size(), HL_ERROR_GUEST_ABORTED);
  EXPECT_TRUE(contains(msg, "code " + std::to_string(code) + ":")) << msg;
  // An aborted sandbox is poisoned.
  Result r;
  ErrorPtr again(hl_call(sb, "answer", nullptr, 0, &r.val));
  EXPECT_EQ(hl_error_code(again.get()), HL_ERROR_POISONED) << describe(again);
  return msg;
}

// ---------------------------------------------------------------- typed exports

TEST(GuestSdk, TypedAdd) {
  SandboxPtr sb = sdk_sandbox();
  ASSERT_TRUE(sb);
  EXPECT_EQ(call(sb.get(), "Add", {i32(40), i32(2)}).of.i32, 42);
  EXPECT_EQ(call(sb.get(), "Add", {i32(INT32_MAX), i32(1)}).of.i32, INT32_MIN);
}

TEST(GuestSdk, ExportUnderItsOwnNameAndWithoutParameters) {
  SandboxPtr sb = sdk_sandbox();
  hl_val_t v = call(sb.get(), "answer");
  EXPECT_EQ(v.kind, HL_VAL_I32);
  EXPECT_EQ(v.of.i32, 42);
  EXPECT_EQ(call(sb.get(), "Nothing").kind, HL_VAL_VOID);
  EXPECT_EQ(call(sb.get(), "Nothing").kind, HL_VAL_VOID);
  EXPECT_EQ(call(sb.get(), "NothingCalls").of.i32, 2);
}

TEST(GuestSdk, EchoIntegersAndBools) {
  SandboxPtr sb = sdk_sandbox();
  for (int32_t v : {0, 1, -1, INT32_MIN, INT32_MAX}) {
    hl_val_t r = call(sb.get(), "EchoI32", {i32(v)});
    EXPECT_EQ(r.kind, HL_VAL_I32);
    EXPECT_EQ(r.of.i32, v);
  }
  for (uint32_t v : {0u, 1u, 0x80000000u, UINT32_MAX}) {
    hl_val_t r = call(sb.get(), "EchoU32", {u32v(v)});
    EXPECT_EQ(r.kind, HL_VAL_U32);
    EXPECT_EQ(r.of.u32, v);
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, INT64_MIN, INT64_MAX, int64_t{1} << 40}) {
    hl_val_t r = call(sb.get(), "EchoI64", {i64(v)});
    EXPECT_EQ(r.kind, HL_VAL_I64);
    EXPECT_EQ(r.of.i64, v);
  }
  for (uint64_t v : {uint64_t{0}, UINT64_MAX, uint64_t{1} << 63}) {
    hl_val_t r = call(sb.get(), "EchoU64", {u64v(v)});
    EXPECT_EQ(r.kind, HL_VAL_U64);
    EXPECT_EQ(r.of.u64, v);
  }
  for (bool v : {false, true}) {
    hl_val_t r = call(sb.get(), "EchoBool", {boolv(v)});
    EXPECT_EQ(r.kind, HL_VAL_BOOL);
    EXPECT_EQ(r.of.boolean, v ? 1 : 0);
    EXPECT_EQ(call(sb.get(), "Not", {boolv(v)}).of.boolean, v ? 0 : 1);
  }
}

TEST(GuestSdk, EchoFloatsBitExact) {
  SandboxPtr sb = sdk_sandbox();
  const uint32_t f32_patterns[] = {
      0x00000000, 0x80000000,  // +0, -0
      0x3f800000, 0xbf800000,  // +-1
      0x7f800000, 0xff800000,  // +-inf
      0x7fc00000, 0x7fc00001,  // quiet NaN, with a payload
      0xffc12345,              // negative quiet NaN with a payload
      0x7f800001, 0x7fa00000,  // signalling NaNs
      0x00000001, 0x007fffff,  // denormals
      0x7f7fffff, 0x00800000,  // max, min normal
  };
  for (uint32_t bits : f32_patterns) {
    hl_val_t r = call(sb.get(), "EchoF32", {f32v(f32_from_bits(bits))});
    EXPECT_EQ(r.kind, HL_VAL_F32);
    EXPECT_EQ(bits_of(r.of.f32), bits) << std::hex << bits;
  }
  const uint64_t f64_patterns[] = {
      0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0x7ff0000000000000, 0xfff0000000000000,
      0x7ff8000000000000, 0x7ff8000000000001, 0xfff8dead0000beef, 0x7ff0000000000001, 0x7ff4000000000000,
      0x0000000000000001, 0x000fffffffffffff, 0x7fefffffffffffff, 0x0010000000000000, 0x400921fb54442d18,
  };
  for (uint64_t bits : f64_patterns) {
    hl_val_t r = call(sb.get(), "EchoF64", {f64v(f64_from_bits(bits))});
    EXPECT_EQ(r.kind, HL_VAL_F64);
    EXPECT_EQ(bits_of(r.of.f64), bits) << std::hex << bits;
  }
}

TEST(GuestSdk, EchoStringsAndBytes) {
  SandboxPtr sb = sdk_sandbox();
  for (std::string text : {std::string(), std::string("hello, sdk"), std::string(40000, 's')}) {
    EXPECT_EQ(call_text(sb.get(), "EchoString", {str(text)}), text);
  }
  std::string with_zeros("a\0b\0\0c\xff", 7);
  for (std::string b : {std::string(), with_zeros, std::string(5000, '\x7f')}) {
    std::string out;
    hl_val_t r = call(sb.get(), "EchoBytes", {bytesv(b)}, &out);
    EXPECT_EQ(r.kind, HL_VAL_BYTES);
    EXPECT_EQ(out, b);
  }
  std::string out;
  call(sb.get(), "ReverseBytes", {bytesv(with_zeros)}, &out);
  EXPECT_EQ(out, std::string(with_zeros.rbegin(), with_zeros.rend()));
}

TEST(GuestSdk, ElevenMixedParameters) {
  SandboxPtr sb = sdk_sandbox();
  std::string blob("\x2a\x00\x01", 3);
  std::vector<hl_val_t> args = {i32(-7),      u32v(4000000000u), i64(-1234567890123), u64v(UINT64_MAX),
                                f32v(1.5f),   f64v(-2.25e-300),  boolv(true),         str("text"),
                                bytesv(blob), i32(99),           i64(INT64_MIN)};
  std::string expected =
      host_format("%d %u %lld %llu %.9g %.17g %s %s %zu:%02x %d %lld", -7, 4000000000u, -1234567890123ll, ~0ull, 1.5,
                  -2.25e-300, "true", "text", size_t{3}, 0x2a, 99, static_cast<long long>(INT64_MIN));
  EXPECT_EQ(call_text(sb.get(), "AllTypes", args), expected);
  // The host checks the declared signature before entering the guest.
  args.pop_back();
  expect_call_error(sb.get(), "AllTypes", args.data(), args.size(), HL_ERROR_PARAMETER_COUNT_MISMATCH);
}

TEST(GuestSdk, SixteenParametersRegisteredAtRunTime) {
  SandboxPtr sb = sdk_sandbox();
  std::vector<hl_val_t> args;
  int64_t expected = 0;
  for (int i = 0; i < 16; i++) {
    int64_t v = (int64_t{1} << 32) + i * 1000 + 7;
    args.push_back(i64(v));
    expected += v * (i + 1);
  }
  EXPECT_EQ(call(sb.get(), "Sum16", args).of.i64, expected);
}

TEST(GuestSdk, TypedFunctionFailsWithAMessage) {
  SandboxPtr sb = sdk_sandbox();
  hl_val_t args[] = {i32(7), i32(0)};
  std::string msg = expect_call_error(sb.get(), "Divide", args, 2, HL_ERROR_GUEST_ERROR);
  EXPECT_TRUE(contains(msg, "divide(7, 0): division by zero")) << msg;
  EXPECT_EQ(call(sb.get(), "Divide", {i32(7), i32(2)}).of.i32, 3) << "an error must not poison";
}

// ---------------------------------------------------------------- typed host calls

hl_error_t *host_echo_twice(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  std::string s(args[0].of.string.ptr, args[0].of.string.len);
  s += s;
  return hl_val_set_string(result, s.data(), s.size());
}

hl_error_t *host_scale(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_F64;
  result->of.f64 = args[0].of.f64 * args[1].of.f32 * (args[2].of.boolean ? -1 : 1);
  return nullptr;
}

TEST(GuestSdk, TypedHostCalls) {
  SandboxPtr sb = sdk_sandbox();
  register_host_add(sb.get());
  const hl_val_kind_t one_string[] = {HL_VAL_STRING};
  ErrorPtr err(hl_register(sb.get(), "HostEcho", one_string, 1, HL_VAL_STRING, host_echo_twice, nullptr, nullptr));
  ASSERT_FALSE(err) << describe(err);
  const hl_val_kind_t scale_params[] = {HL_VAL_F64, HL_VAL_F32, HL_VAL_BOOL};
  err.reset(hl_register(sb.get(), "HostScale", scale_params, 3, HL_VAL_F64, host_scale, nullptr, nullptr));
  ASSERT_FALSE(err) << describe(err);

  EXPECT_EQ(call(sb.get(), "AddViaHost", {i32(20), i32(22)}).of.i32, 42);
  EXPECT_EQ(call_text(sb.get(), "EchoViaHost", {str("ab")}), "abab");
  EXPECT_EQ(call(sb.get(), "ScaleViaHost", {f64v(1.5), f32v(4.0f), boolv(true)}).of.f64, -6.0);
}

TEST(GuestSdk, TypedHostCallChecksTheResultKind) {
  SandboxPtr sb = sdk_sandbox();
  register_host_add(sb.get());
  hl_val_t args[] = {i32(1), i32(2)};
  std::string msg = expect_call_error(sb.get(), "AddViaHostAsI64", args, 2, HL_ERROR_PARAMETER_TYPE_MISMATCH);
  EXPECT_TRUE(contains(msg, "host function 'HostAdd' returned i32, expected i64")) << msg;
}

TEST(GuestSdk, MissingHostFunctionReachesTheCaller) {
  SandboxPtr sb = sdk_sandbox();
  std::string msg =
      expect_call_error(sb.get(), "CallMissingHostFunction", nullptr, 0, HL_ERROR_HOST_FUNCTION_NOT_FOUND);
  EXPECT_TRUE(contains(msg, "NoSuchHostFunction")) << msg;
}

// ---------------------------------------------------------------- fallback

TEST(GuestSdk, FallbackHandlesUnknownNames) {
  SandboxPtr sb = sdk_sandbox();
  hl_val_t r = call(sb.get(), "DynamicSum", {i32(1), i32(2), i32(39)});
  EXPECT_EQ(r.kind, HL_VAL_I64);
  EXPECT_EQ(r.of.i64, 42);
  EXPECT_EQ(call_text(sb.get(), "DynamicAnything", {str("x"), f64v(1.5)}),
            "fallback handled DynamicAnything with 2 arguments");
  hl_val_t bad[] = {str("not a number")};
  std::string msg = expect_call_error(sb.get(), "DynamicSum", bad, 1, HL_ERROR_PARAMETER_TYPE_MISMATCH);
  EXPECT_TRUE(contains(msg, "DynamicSum takes only i32 arguments")) << msg;
}

TEST(GuestSdk, FallbackCanDecline) {
  SandboxPtr sb = sdk_sandbox();
  std::string msg = expect_call_error(sb.get(), "Nope", nullptr, 0, HL_ERROR_GUEST_FUNCTION_NOT_FOUND);
  EXPECT_TRUE(contains(msg, "not even the fallback knows 'Nope'")) << msg;
  // Registered functions keep their signature checks.
  hl_val_t one[] = {i32(1)};
  expect_call_error(sb.get(), "Add", one, 1, HL_ERROR_PARAMETER_COUNT_MISMATCH);
  EXPECT_EQ(call(sb.get(), "Add", {i32(1), i32(2)}).of.i32, 3);
}

// ---------------------------------------------------------------- snprintf

TEST(GuestSdk, FormatIntegersLikeGlibc) {
  SandboxPtr sb = sdk_sandbox();
  const char *formats[] = {"%d",     "%i",   "%5d", "%-5d|", "%05d",   "%+d",   "% d", "%.3d",  "%.0d",  "%8.3d",
                           "%-+8d|", "%x",   "%X",  "%#x",   "%#X",    "%o",    "%#o", "%#.0o", "%u",    "%hhd",
                           "%hd",    "%hhu", "%hu", "% 05d", "%-05d|", "%+.0d", "%c",  "%5c|",  "%-3c|", "%%%d%%"};
  for (const char *fmt : formats) {
    for (int32_t v : {0, 1, -1, 42, -42, 65, 300, 70000, INT32_MIN, INT32_MAX}) {
      if (std::strchr(fmt, 'c') && (v < 32 || v > 126)) continue;  // printable characters only
      EXPECT_EQ(call_text(sb.get(), "FormatI32", {str(fmt), i32(v)}), host_format(fmt, v)) << fmt << " " << v;
    }
  }
  const char *formats64[] = {"%lld", "%ld", "%lli", "%llu", "%llx",    "%#llX",    "%#llo",  "%zu",
                             "%zd",  "%jd", "%td",  "%lu",  "%20lld|", "%-20lld|", "%.25lld"};
  for (const char *fmt : formats64) {
    for (int64_t v : {int64_t{0}, int64_t{-1}, INT64_MIN, INT64_MAX, int64_t{1234567890123}}) {
      EXPECT_EQ(call_text(sb.get(), "FormatI64", {str(fmt), i64(v)}), host_format(fmt, static_cast<long long>(v)))
          << fmt << " " << v;
    }
  }
}

TEST(GuestSdk, FormatFloatsLikeGlibc) {
  SandboxPtr sb = sdk_sandbox();
  const char *formats[] = {"%f",       "%.0f",  "%.1f", "%.2f",    "%.10f",    "%.17f", "%.40f",     "%e",
                           "%.0e",     "%.3e",  "%E",   "%.20e",   "%g",       "%.0g",  "%.1g",      "%.3g",
                           "%.10g",    "%.17g", "%G",   "%#g",     "%#.0f",    "%#.0e", "%#.3g",     "%10.3f|",
                           "%-10.3f|", "%+f",   "% f",  "%010.2f", "%+012.3e", "%F",    "%-+12.4g|", "%012g"};
  const double values[] = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           0.5,
                           1.5,
                           2.5,
                           -2.5,
                           0.125,
                           0.1,
                           0.3,
                           2.0 / 3.0,
                           1e-5,
                           5e-5,
                           0.000123456,
                           123.456,
                           9.5,
                           0.95,
                           0.05,
                           999999.5,
                           9.9999999,
                           1234.5,
                           123456789.0,
                           1e6,
                           1e21,
                           1e22,
                           1e100,
                           1e-100,
                           3.141592653589793,
                           1.7976931348623157e308,
                           2.2250738585072014e-308,
                           4.9406564584124654e-324,
                           HUGE_VAL,
                           -HUGE_VAL,
                           std::nan(""),
                           -std::nan("")};
  for (const char *fmt : formats) {
    for (double v : values) {
      std::string expected = host_format(fmt, v);
      // glibc drops the zeros when %#g rounds up into exponent style ("1.e+06");
      // C11 7.21.6.1 asks for P - 1 = 5 of them, as the guest prints.
      if (std::strcmp(fmt, "%#g") == 0 && v == 999999.5) expected = "1.00000e+06";
      EXPECT_EQ(call_text(sb.get(), "FormatF64", {str(fmt), f64v(v)}), expected) << fmt << " " << v;
    }
  }
  for (const char *fmt : {"%Lf", "%.3Le", "%Lg", "%.20Lf"}) {
    for (double v : {0.0, -1.5, 1e300, 1.0 / 3.0}) {
      EXPECT_EQ(call_text(sb.get(), "FormatLongDouble", {str(fmt), f64v(v)}),
                host_format(fmt, static_cast<long double>(v)))
          << fmt << " " << v;
    }
  }
}

TEST(GuestSdk, FormatStringsPointersAndStars) {
  SandboxPtr sb = sdk_sandbox();
  for (const char *fmt : {"%s", "%10s|", "%-10s|", "%.3s", "%10.3s|", "%.0s", "%.10s", "[%s]"}) {
    for (const char *v : {"", "hello", "a longer string"}) {
      EXPECT_EQ(call_text(sb.get(), "FormatString", {str(fmt), str(v)}), host_format(fmt, v)) << fmt << " " << v;
    }
  }
  for (const char *fmt : {"%p", "%20p|", "%-20p|"}) {
    for (uint64_t v : {uint64_t{0}, uint64_t{0x1234}, uint64_t{0xdeadbeefcafe}}) {
      EXPECT_EQ(call_text(sb.get(), "FormatPointer", {str(fmt), u64v(v)}),
                host_format(fmt, reinterpret_cast<void *>(static_cast<uintptr_t>(v))))
          << fmt << " " << v;
    }
  }
  for (const char *fmt : {"%*.*d|", "%-*.*d|", "%0*.*d|"}) {
    for (int w : {0, 8, -8}) {
      for (int p : {-1, 0, 5}) {
        EXPECT_EQ(call_text(sb.get(), "FormatStarI32", {str(fmt), i32(w), i32(p), i32(-42)}),
                  host_format(fmt, w, p, -42))
            << fmt << " " << w << " " << p;
      }
    }
  }
  for (const char *fmt : {"%*.*f|", "%*.*e|", "%*.*g|", "%-*.*f|"}) {
    for (int w : {0, 12, -12}) {
      for (int p : {-1, 0, 3}) {
        EXPECT_EQ(call_text(sb.get(), "FormatStarF64", {str(fmt), i32(w), i32(p), f64v(-3.14159)}),
                  host_format(fmt, w, p, -3.14159))
            << fmt << " " << w << " " << p;
      }
    }
  }
  std::string expected = host_format("[%5d|%-5d|%05d|%+d|% d|%x|%#X|%#o|%c|%s|%.2s|%8.3f|%-10.2e|%g|%%]", 42, 42, 42,
                                     42, 42, 255, 255, 8, 'z', "str", "string", 3.14159, 12345.678, 0.0001);
  EXPECT_EQ(call_text(sb.get(), "FormatMixed"), expected + " count=" + std::to_string(expected.size()));
}

TEST(GuestSdk, SnprintfTruncatesAndReturnsTheFullLength) {
  SandboxPtr sb = sdk_sandbox();
  for (int size : {0, 1, 5, 11, 12, 32}) {
    std::string text = "hello world";
    size_t n = size == 0 ? 0 : std::min<size_t>(text.size(), size - 1);
    std::string expected = "n=11 buf=" + text.substr(0, n) + " after=#";
    EXPECT_EQ(call_text(sb.get(), "SnprintfTruncates", {str(text), i32(size)}), expected) << size;
  }
}

// ---------------------------------------------------------------- printf to the host

TEST(GuestSdk, PrintfReachesStdout) {
  SandboxPtr sb = sdk_sandbox();
  testing::internal::CaptureStdout();
  Result r;
  hl_val_t args[] = {str("sandbox"), i32(21)};
  ErrorPtr err(hl_call(sb.get(), "PrintfToHost", args, 2, &r.val));
  std::string out = testing::internal::GetCapturedStdout();
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(out, "hello sandbox, 21 + 21 = 42\nputs adds a newline\n!\nstderr goes to the same place\nfputs\nfwrite\n");
}

TEST(GuestSdk, LongPrintfArrivesWhole) {
  SandboxPtr sb = sdk_sandbox();
  testing::internal::CaptureStdout();
  Result r;
  hl_val_t arg = i32(150000);  // more than the 64 KiB output buffer
  ErrorPtr err(hl_call(sb.get(), "PrintLong", &arg, 1, &r.val));
  std::string out = testing::internal::GetCapturedStdout();
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 150000);
  EXPECT_EQ(out, letters(150000));
}

// ---------------------------------------------------------------- libc self-checks

TEST(GuestSdk, StringFunctions) {
  SandboxPtr sb = sdk_sandbox();
  EXPECT_GE(call(sb.get(), "StringFunctions").of.i32, 25);  // checks run, all passed
}

TEST(GuestSdk, StdlibFunctions) {
  SandboxPtr sb = sdk_sandbox();
  EXPECT_GE(call(sb.get(), "StdlibFunctions").of.i32, 15);  // checks run, all passed
}

TEST(GuestSdk, SetjmpLongjmp) {
  SandboxPtr sb = sdk_sandbox();
  // setjmp returns depth+5 from the first longjmp, then 1 from longjmp(env, 0).
  EXPECT_EQ(call(sb.get(), "SetjmpLongjmp", {i32(0)}).of.i32, 5001);
  EXPECT_EQ(call(sb.get(), "SetjmpLongjmp", {i32(1)}).of.i32, 6001);
  EXPECT_EQ(call(sb.get(), "SetjmpLongjmp", {i32(500)}).of.i32, 505001);
}

// ---------------------------------------------------------------- malloc

TEST(GuestSdk, MallocStressKeepsContentsAndCoalesces) {
  SandboxPtr sb = sdk_sandbox();
  uint64_t allocations = call(sb.get(), "HeapAllocations").of.u64;
  uint64_t free_bytes = call(sb.get(), "HeapFreeBytes").of.u64;
  for (int32_t seed : {1, 2, 12345}) {
    hl_val_t r = call(sb.get(), "MallocStress", {i32(seed), i32(20000)});
    EXPECT_GT(r.of.u64, 1000000u) << "seed " << seed;
  }
  EXPECT_EQ(call(sb.get(), "HeapAllocations").of.u64, allocations);
  EXPECT_EQ(call(sb.get(), "HeapFreeBytes").of.u64, free_bytes);
}

TEST(GuestSdk, ScratchMemoryIsFreedAfterEachCall) {
  SandboxPtr sb = sdk_sandbox();
  uint64_t allocations = call(sb.get(), "HeapAllocations").of.u64;
  uint64_t free_bytes = call(sb.get(), "HeapFreeBytes").of.u64;
  for (int i = 0; i < 50; i++) {
    call_text(sb.get(), "FormatF64", {str("%.100f"), f64v(i * 1.25)});
    std::string out;
    call(sb.get(), "ReverseBytes", {bytesv(std::string(1000, 'r'))}, &out);
  }
  EXPECT_EQ(call(sb.get(), "HeapAllocations").of.u64, allocations);
  EXPECT_EQ(call(sb.get(), "HeapFreeBytes").of.u64, free_bytes);
}

TEST(GuestSdk, MallocEdgeCasesAndTryMalloc) {
  SandboxPtr sb = sdk_sandbox();
  EXPECT_EQ(call(sb.get(), "MallocEdgeCases").of.boolean, 1);
  EXPECT_EQ(call(sb.get(), "TryMallocTooBig").of.boolean, 1);
}

TEST(GuestSdk, StackLeftCountsDownToTheGuardPage) {
  hl_config_t *raw = hl_config_new();
  ConfigPtr config(raw);
  ErrorPtr err(hl_config_set_stack_size(raw, 128 << 10));
  ASSERT_FALSE(err) << describe(err);
  SandboxPtr sb = sdk_sandbox(raw);
  uint64_t top = call(sb.get(), "StackLeft").of.u64;
  EXPECT_LE(top, 128u << 10);
  EXPECT_GT(top, 120u << 10);  // a call starts near the top of a fresh stack
  uint64_t deep = call(sb.get(), "StackLeftAtDepth", {i32(50)}).of.u64;
  EXPECT_LT(deep, top - 50 * 1024);
  EXPECT_GT(deep, 0u);
}

TEST(GuestSdk, MallocExhaustionAbortsWithACode) {
  hl_config_t *raw = hl_config_new();
  ConfigPtr config(raw);
  ErrorPtr err(hl_config_set_heap_size(raw, 1 << 20));
  ASSERT_FALSE(err) << describe(err);
  SandboxPtr sb = sdk_sandbox(raw);
  std::string msg = expect_abort(sb.get(), "MallocExhaustion", {i32(65536)}, 1001);
  EXPECT_TRUE(contains(msg, "out of memory: malloc(65536) with ")) << msg;
  EXPECT_TRUE(contains(msg, " bytes free")) << msg;
  EXPECT_TRUE(contains(msg, "MallocExhaustion")) << msg;
}

TEST(GuestSdk, CallocOverflowAborts) {
  SandboxPtr sb = sdk_sandbox();
  std::string msg = expect_abort(sb.get(), "CallocOverflow", {}, 1001);
  EXPECT_TRUE(contains(msg, "out of memory: calloc(")) << msg;
  EXPECT_TRUE(contains(msg, "overflows")) << msg;
}

TEST(GuestSdk, BadFreeAborts) {
  for (int how : {0, 1, 2}) {
    SandboxPtr sb = sdk_sandbox();
    std::string msg = expect_abort(sb.get(), "BadFree", {i32(how)}, 1002);
    EXPECT_TRUE(contains(msg, "free(0x")) << msg;
    if (how == 1) {
      EXPECT_TRUE(contains(msg, "double free")) << msg;
    }
  }
}

// ---------------------------------------------------------------- assert and abort

TEST(GuestSdk, AssertPassesAndFails) {
  SandboxPtr sb = sdk_sandbox();
  EXPECT_EQ(call(sb.get(), "Assert", {i32(42)}).of.i32, 42);
  std::string msg = expect_abort(sb.get(), "Assert", {i32(1)}, 1003);
  EXPECT_TRUE(contains(msg, "assertion failed: x == 42")) << msg;
  EXPECT_TRUE(contains(msg, "sdkguest.c:")) << msg;
  EXPECT_TRUE(contains(msg, "check_assert")) << msg;
}

TEST(GuestSdk, AbortFunction) {
  SandboxPtr sb = sdk_sandbox();
  std::string msg = expect_abort(sb.get(), "CallAbort", {}, 1004);
  EXPECT_TRUE(contains(msg, "abort() called")) << msg;
}

TEST(GuestSdk, AbortWorksWithABrokenStack) {
  for (int how : {0, 1, 2, 3}) {
    SandboxPtr sb = sdk_sandbox();
    std::string msg = expect_abort(sb.get(), "AbortWithBrokenStack", {i32(how)}, 4242);
    EXPECT_TRUE(contains(msg, "abort with a broken stack")) << "case " << how << ": " << msg;
  }
}

TEST(GuestSdk, AbortWorksWithABrokenHeap) {
  SandboxPtr sb = sdk_sandbox();
  std::string msg = expect_abort(sb.get(), "AbortWithBrokenHeap", {}, 4343);
  EXPECT_TRUE(contains(msg, "abort with a broken heap")) << msg;
}

TEST(GuestSdk, LongAbortMessageIsTruncatedByTheGuest) {
  const std::string marker = "...[truncated]";
  for (const char *fn : {"LongAbortMessage", "LongAbortfMessage"}) {
    SandboxPtr sb = sdk_sandbox();
    std::string msg = expect_abort(sb.get(), fn, {i32(5000)}, std::string(fn) == "LongAbortMessage" ? 77 : 78);
    EXPECT_TRUE(contains(msg, ": " + letters(4096 - marker.size()) + marker)) << fn << ": " << msg.size();
    EXPECT_EQ(count_of(msg, marker), 1u) << msg;
    EXPECT_FALSE(contains(msg, letters(4096 - marker.size() + 1))) << fn;
  }
  // Exactly at the limit: nothing is cut.
  SandboxPtr sb = sdk_sandbox();
  std::string msg = expect_abort(sb.get(), "LongAbortMessage", {i32(4096)}, 77);
  EXPECT_TRUE(contains(msg, ": " + letters(4096) + " ")) << msg.size();
  EXPECT_FALSE(contains(msg, marker));
}

TEST(GuestSdk, FormattedAbort) {
  SandboxPtr sb = sdk_sandbox();
  std::string msg = expect_abort(sb.get(), "Abortf", {i32(5)}, 79);
  EXPECT_TRUE(contains(msg, "formatted abort: n=5, text")) << msg;
}

// ---------------------------------------------------------------- logging

struct LogRecord {
  hl_log_level_t level;
  std::string file;
  uint32_t line;
  std::string message;
};

void collect_log(void *user_data, hl_log_level_t level, const char *file, size_t file_len, uint32_t line,
                 const char *message, size_t message_len) {
  static_cast<std::vector<LogRecord> *>(user_data)->push_back(
      {level, std::string(file, file_len), line, std::string(message, message_len)});
}

ConfigPtr log_config(hl_log_level_t level, std::vector<LogRecord> *records) {
  ConfigPtr config(hl_config_new());
  ErrorPtr err(hl_config_set_log_callback(config.get(), collect_log, records));
  EXPECT_FALSE(err) << describe(err);
  err.reset(hl_config_set_max_log_level(config.get(), level));
  EXPECT_FALSE(err) << describe(err);
  return config;
}

TEST(GuestSdk, GuestSeesTheMaxLogLevel) {
  for (hl_log_level_t level = HL_LOG_OFF; level <= HL_LOG_TRACE; level++) {
    std::vector<LogRecord> records;
    ConfigPtr config = log_config(level, &records);
    SandboxPtr sb = sdk_sandbox(config.get());
    EXPECT_EQ(call(sb.get(), "MaxLogLevel").of.u32, level);
  }
}

TEST(GuestSdk, LogRecordsAreFilteredByLevel) {
  const char *const messages[] = {"error record 1", "warn record 2", "info record 3", "debug record 4",
                                  "trace record 5"};
  for (hl_log_level_t level = HL_LOG_OFF; level <= HL_LOG_TRACE; level++) {
    std::vector<LogRecord> records;
    ConfigPtr config = log_config(level, &records);
    SandboxPtr sb = sdk_sandbox(config.get());
    records.clear();  // drop the initialisation record
    call(sb.get(), "LogAllLevels");
    ASSERT_EQ(records.size(), level) << "max level " << level;
    for (size_t i = 0; i < records.size(); i++) {
      EXPECT_EQ(records[i].level, i + 1);
      EXPECT_EQ(records[i].message, messages[i]);
    }
  }
}

TEST(GuestSdk, LogRecordCarriesFileAndLine) {
  std::vector<LogRecord> records;
  ConfigPtr config = log_config(HL_LOG_WARN, &records);
  SandboxPtr sb = sdk_sandbox(config.get());
  int32_t line = call(sb.get(), "LogLine").of.i32;
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].level, HL_LOG_WARN);
  EXPECT_EQ(records[0].line, static_cast<uint32_t>(line));
  EXPECT_GT(line, 0);
  EXPECT_TRUE(records[0].file.size() >= 10 && records[0].file.substr(records[0].file.size() - 10) == "sdkguest.c")
      << records[0].file;
  EXPECT_EQ(records[0].message, "the line is " + std::to_string(line));
}

TEST(GuestSdk, DisabledLogMacrosDoNotEvaluateArguments) {
  for (hl_log_level_t level = HL_LOG_OFF; level <= HL_LOG_TRACE; level++) {
    std::vector<LogRecord> records;
    ConfigPtr config = log_config(level, &records);
    SandboxPtr sb = sdk_sandbox(config.get());
    EXPECT_EQ(call(sb.get(), "LogEvaluations").of.i32, static_cast<int32_t>(level));
  }
}

TEST(GuestSdk, LogDuringInitialisationAndWithAnyLevel) {
  std::vector<LogRecord> records;
  ConfigPtr config = log_config(HL_LOG_INFO, &records);
  SandboxPtr sb = sdk_sandbox(config.get());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].level, HL_LOG_INFO);
  EXPECT_EQ(records[0].message, "sdkguest initialising");
  records.clear();
  for (int32_t level : {0, 1, 3, 4, 9, -1}) call(sb.get(), "Log", {i32(level), str("via Log")});
  ASSERT_EQ(records.size(), 2u);  // levels 1 and 3; 0 is "off", 4 is above INFO, 9 and -1 are no levels
  EXPECT_EQ(records[0].level, HL_LOG_ERROR);
  EXPECT_EQ(records[1].level, HL_LOG_INFO);
  EXPECT_EQ(records[1].message, "via Log");
}

TEST(GuestSdk, LongLogMessageIsCutToTheOutputBuffer) {
  std::vector<LogRecord> records;
  ConfigPtr config = log_config(HL_LOG_ERROR, &records);
  SandboxPtr sb = sdk_sandbox(config.get());
  call(sb.get(), "LogLong", {i32(1000)});
  call(sb.get(), "LogLong", {i32(200000)});
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].message, letters(1000));
  const std::string &cut = records[1].message;
  EXPECT_GT(cut.size(), 60000u);
  EXPECT_LT(cut.size(), 65536u);
  EXPECT_EQ(cut.substr(cut.size() - 14), "...[truncated]");
  EXPECT_EQ(cut.substr(0, cut.size() - 14), letters(cut.size() - 14));
}

}  // namespace
