// Typed host functions (hl_register_typed) and guest function pointers
// (hl_guest_function_*): every kind in both directions, errors, lifetimes
// and threads (docs/typed-functions.md).
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

struct GuestFunctionDeleter {
  void operator()(hl_guest_function_t *f) const { hl_guest_function_delete(f); }
};
using GuestFunctionPtr = std::unique_ptr<hl_guest_function_t, GuestFunctionDeleter>;

SandboxPtr sandbox_of(const char *path) {
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(nullptr, path, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

// The forwarding guest: a call "X" runs the host function "HostX".
SandboxPtr forward_sandbox() { return sandbox_of(HL_FORWARDGUEST_PATH); }

template <typename Fn>
void register_typed(hl_sandbox_t *sb, const char *name, std::vector<hl_val_kind_t> params, hl_val_kind_t result, Fn fn,
                    uint32_t flags = 0, void *user_data = nullptr) {
  ErrorPtr err(hl_register_typed(sb, name, params.data(), params.size(), result, reinterpret_cast<hl_typed_fn_t>(fn),
                                 flags, user_data, nullptr));
  ASSERT_FALSE(err) << describe(err);
}

hl_val_t val(hl_val_kind_t kind) {
  hl_val_t v{};
  v.kind = kind;
  return v;
}

GuestFunctionPtr guest_function(hl_sandbox_t *sb, const char *name, hl_val_kind_t result,
                                std::vector<hl_val_kind_t> params) {
  hl_guest_function_t *fn = nullptr;
  ErrorPtr err(hl_guest_function_new(sb, name, result, params.data(), params.size(), &fn));
  EXPECT_FALSE(err) << name << ": " << describe(err);
  return GuestFunctionPtr(fn);
}

template <typename Signature>
Signature pointer_of(const GuestFunctionPtr &fn) {
  return reinterpret_cast<Signature>(hl_guest_function_pointer(fn.get()));
}

// ---- host functions, one per kind, registered as plain C functions ----

int32_t echo_i32(int32_t v) { return v; }
uint32_t echo_u32(uint32_t v) { return v; }
int64_t echo_i64(int64_t v) { return v; }
uint64_t echo_u64(uint64_t v) { return v; }
float echo_f32(float v) { return v; }
double echo_f64(double v) { return v; }
uint8_t echo_bool(uint8_t v) { return v; }
const char *echo_string(const char *v) { return v; }
hl_bytes_t echo_bytes(const uint8_t *p, size_t n) { return hl_bytes_t{p, n}; }
int32_t add(int32_t a, int32_t b) { return a + b; }

}  // namespace

TEST(TypedHostFunctions, EveryKindInAndOut) {
  SandboxPtr sb = forward_sandbox();
  register_typed(sb.get(), "HostEchoI32", {HL_VAL_I32}, HL_VAL_I32, echo_i32);
  register_typed(sb.get(), "HostEchoU32", {HL_VAL_U32}, HL_VAL_U32, echo_u32);
  register_typed(sb.get(), "HostEchoI64", {HL_VAL_I64}, HL_VAL_I64, echo_i64);
  register_typed(sb.get(), "HostEchoU64", {HL_VAL_U64}, HL_VAL_U64, echo_u64);
  register_typed(sb.get(), "HostEchoF32", {HL_VAL_F32}, HL_VAL_F32, echo_f32);
  register_typed(sb.get(), "HostEchoF64", {HL_VAL_F64}, HL_VAL_F64, echo_f64);
  register_typed(sb.get(), "HostEchoBool", {HL_VAL_BOOL}, HL_VAL_BOOL, echo_bool);
  register_typed(sb.get(), "HostEchoString", {HL_VAL_STRING}, HL_VAL_STRING, echo_string);
  register_typed(sb.get(), "HostEchoBytes", {HL_VAL_BYTES}, HL_VAL_BYTES, echo_bytes);

  auto echo = [&](const char *name, hl_val_t arg) {
    Result r;
    ErrorPtr err(hl_call(sb.get(), name, &arg, 1, &r.val));
    EXPECT_FALSE(err) << name << ": " << describe(err);
    EXPECT_EQ(r.val.kind, arg.kind) << name;
    hl_val_t copy = r.val;
    if (copy.kind == HL_VAL_STRING || copy.kind == HL_VAL_BYTES) {
      EXPECT_EQ(std::string(copy.of.string.ptr, copy.of.string.len), std::string(arg.of.string.ptr, arg.of.string.len))
          << name;
      copy.of.u64 = 0;  // compared above
    }
    return copy;
  };
  for (int32_t v : {0, -1, INT32_MIN, INT32_MAX}) {
    hl_val_t a = val(HL_VAL_I32);
    a.of.i32 = v;
    EXPECT_EQ(echo("EchoI32", a).of.i32, v);
  }
  for (uint32_t v : {0u, 0x80000000u, UINT32_MAX}) {
    hl_val_t a = val(HL_VAL_U32);
    a.of.u32 = v;
    EXPECT_EQ(echo("EchoU32", a).of.u32, v);
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, INT64_MIN, INT64_MAX}) {
    hl_val_t a = val(HL_VAL_I64);
    a.of.i64 = v;
    EXPECT_EQ(echo("EchoI64", a).of.i64, v);
  }
  for (uint64_t v : {uint64_t{0}, uint64_t{1} << 63, UINT64_MAX}) {
    hl_val_t a = val(HL_VAL_U64);
    a.of.u64 = v;
    EXPECT_EQ(echo("EchoU64", a).of.u64, v);
  }
  for (float v : {0.0f, -1.5f, 3.4e38f, -INFINITY}) {
    hl_val_t a = val(HL_VAL_F32);
    a.of.f32 = v;
    EXPECT_EQ(echo("EchoF32", a).of.f32, v);
  }
  for (double v : {0.0, -2.25e-300, 1.7e308, double{INFINITY}}) {
    hl_val_t a = val(HL_VAL_F64);
    a.of.f64 = v;
    EXPECT_EQ(echo("EchoF64", a).of.f64, v);
  }
  for (uint8_t v : {0, 1}) {
    hl_val_t a = val(HL_VAL_BOOL);
    a.of.boolean = v;
    EXPECT_EQ(echo("EchoBool", a).of.boolean, v);
  }
  echo("EchoString", str(""));
  echo("EchoString", str("hello, typed world"));
  const std::string blob("\x00\x01\xff\x00zz", 6);
  hl_val_t b = val(HL_VAL_BYTES);
  b.of.bytes.ptr = reinterpret_cast<const uint8_t *>(blob.data());
  b.of.bytes.len = blob.size();
  echo("EchoBytes", b);
  b.of.bytes.ptr = nullptr;
  b.of.bytes.len = 0;
  echo("EchoBytes", b);
}

TEST(TypedHostFunctions, PlainAddServesTheGuestsAddViaHost) {
  SandboxPtr sb = new_sandbox();
  register_typed(sb.get(), "HostAdd", {HL_VAL_I32, HL_VAL_I32}, HL_VAL_I32, add);
  hl_val_t args[] = {i32(40), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "AddViaHost", args, 2, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 42);
}

namespace {
double scale(double v, float factor, uint8_t negate) { return (negate != 0 ? -v : v) * factor; }
}  // namespace

TEST(TypedHostFunctions, DoubleFloatAndBoolFromATypedGuest) {
  SandboxPtr sb = sandbox_of(HL_SDKGUEST_PATH);
  register_typed(sb.get(), "HostScale", {HL_VAL_F64, HL_VAL_F32, HL_VAL_BOOL}, HL_VAL_F64, scale);
  hl_val_t args[3] = {val(HL_VAL_F64), val(HL_VAL_F32), val(HL_VAL_BOOL)};
  args[0].of.f64 = 2.5;
  args[1].of.f32 = 4.0f;
  args[2].of.boolean = 1;
  Result r;
  ErrorPtr err(hl_call(sb.get(), "ScaleViaHost", args, 3, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.f64, -10.0);
}

namespace {
// What mix11 saw, through user_data.
struct Seen {
  int32_t a;
  uint32_t b;
  int64_t c;
  uint64_t d;
  float e;
  double f;
  uint8_t g;
  std::string h, i;
  int32_t j;
  int64_t k;
};
int64_t mix11(void *user_data, hl_error_t **error, int32_t a, uint32_t b, int64_t c, uint64_t d, float e, double f,
              uint8_t g, const char *h, const uint8_t *i, size_t ilen, int32_t j, int64_t k) {
  EXPECT_NE(error, nullptr);
  EXPECT_EQ(*error, nullptr);
  *static_cast<Seen *>(user_data) =
      Seen{a, b, c, d, e, f, g, h, std::string(reinterpret_cast<const char *>(i), ilen), j, k};
  return c + j;
}
}  // namespace

TEST(TypedHostFunctions, ElevenMixedParametersWithUserDataAndError) {
  SandboxPtr sb = forward_sandbox();
  Seen seen{};
  register_typed(sb.get(), "HostMix",
                 {HL_VAL_I32, HL_VAL_U32, HL_VAL_I64, HL_VAL_U64, HL_VAL_F32, HL_VAL_F64, HL_VAL_BOOL, HL_VAL_STRING,
                  HL_VAL_BYTES, HL_VAL_I32, HL_VAL_I64},
                 HL_VAL_I64, mix11, HL_TYPED_USER_DATA | HL_TYPED_ERROR, &seen);
  const std::string blob("\x2a\x00\x01", 3);
  std::vector<hl_val_t> args(11);
  const hl_val_kind_t kinds[] = {HL_VAL_I32,  HL_VAL_U32,    HL_VAL_I64,   HL_VAL_U64, HL_VAL_F32, HL_VAL_F64,
                                 HL_VAL_BOOL, HL_VAL_STRING, HL_VAL_BYTES, HL_VAL_I32, HL_VAL_I64};
  for (size_t n = 0; n < 11; n++) args[n] = val(kinds[n]);
  args[0].of.i32 = -7;
  args[1].of.u32 = 4000000000u;
  args[2].of.i64 = -1234567890123;
  args[3].of.u64 = UINT64_MAX;
  args[4].of.f32 = 1.5f;
  args[5].of.f64 = -2.25e-300;
  args[6].of.boolean = 1;
  args[7] = str("text");
  args[8].of.bytes.ptr = reinterpret_cast<const uint8_t *>(blob.data());
  args[8].of.bytes.len = blob.size();
  args[9].of.i32 = 99;
  args[10].of.i64 = INT64_MIN + 5;
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Mix", args.data(), args.size(), &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i64, -1234567890123 + 99);
  EXPECT_EQ(seen.a, -7);
  EXPECT_EQ(seen.b, 4000000000u);
  EXPECT_EQ(seen.c, -1234567890123);
  EXPECT_EQ(seen.d, UINT64_MAX);
  EXPECT_EQ(seen.e, 1.5f);
  EXPECT_EQ(seen.f, -2.25e-300);
  EXPECT_EQ(seen.g, 1);
  EXPECT_EQ(seen.h, "text");
  EXPECT_EQ(seen.i, blob);
  EXPECT_EQ(seen.j, 99);
  EXPECT_EQ(seen.k, INT64_MIN + 5);
}

namespace {
#define HL_I64_PARAMS_8(p) \
  int64_t p##0, int64_t p##1, int64_t p##2, int64_t p##3, int64_t p##4, int64_t p##5, int64_t p##6, int64_t p##7
#define HL_WEIGHTED_8(p, w)                                                                              \
  (p##0 * (w + 1) + p##1 * (w + 2) + p##2 * (w + 3) + p##3 * (w + 4) + p##4 * (w + 5) + p##5 * (w + 6) + \
   p##6 * (w + 7) + p##7 * (w + 8))
int64_t sum32(HL_I64_PARAMS_8(a), HL_I64_PARAMS_8(b), HL_I64_PARAMS_8(c), HL_I64_PARAMS_8(d)) {
  return HL_WEIGHTED_8(a, 0) + HL_WEIGHTED_8(b, 8) + HL_WEIGHTED_8(c, 16) + HL_WEIGHTED_8(d, 24);
}
}  // namespace

TEST(TypedHostFunctions, ThirtyTwoParameters) {
  SandboxPtr sb = forward_sandbox();
  register_typed(sb.get(), "HostSum32", std::vector<hl_val_kind_t>(32, HL_VAL_I64), HL_VAL_I64, sum32);
  std::vector<hl_val_t> args;
  int64_t expected = 0;
  for (int n = 0; n < 32; n++) {
    int64_t v = (int64_t{1} << 33) + n * 1000 + 3;
    args.push_back(i64(v));
    expected += v * (n + 1);
  }
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Sum32", args.data(), args.size(), &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i64, expected);
}

namespace {
void notify(void *user_data, int32_t v) { *static_cast<int32_t *>(user_data) += v; }
int32_t refuse(hl_error_t **error, int32_t v) {
  *error = hl_error_new(("refused " + std::to_string(v)).c_str());
  return 7;
}
char *shout(const char *text) {
  size_t n = std::strlen(text);
  char *out = static_cast<char *>(std::malloc(n + 2));
  for (size_t k = 0; k < n; k++) out[k] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[k])));
  out[n] = '!';
  out[n + 1] = 0;
  return out;
}
hl_bytes_t twice(const uint8_t *p, size_t n) {
  auto *out = static_cast<uint8_t *>(std::malloc(2 * n + 1));
  if (n != 0) std::memcpy(out, p, n);
  if (n != 0) std::memcpy(out + n, p, n);
  return hl_bytes_t{out, 2 * n};
}
char *shout_but_fail(hl_error_t **error, const char *text) {
  *error = hl_error_new("changed my mind");
  return shout(text);  // freed by hyperlight (HL_TYPED_FREE_RESULT), not used
}
const char *null_string() { return nullptr; }
hl_bytes_t null_bytes() { return hl_bytes_t{nullptr, 3}; }
}  // namespace

TEST(TypedHostFunctions, VoidWithUserData) {
  SandboxPtr sb = forward_sandbox();
  int32_t total = 0;
  register_typed(sb.get(), "HostNotify", {HL_VAL_I32}, HL_VAL_VOID, notify, HL_TYPED_USER_DATA, &total);
  for (int32_t v : {1, 2, 39}) {
    hl_val_t a = i32(v);
    Result r;
    ErrorPtr err(hl_call(sb.get(), "Notify", &a, 1, &r.val));
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(r.val.kind, HL_VAL_VOID);
  }
  EXPECT_EQ(total, 42);
}

TEST(TypedHostFunctions, FailingThroughTheErrorParameter) {
  SandboxPtr sb = forward_sandbox();
  register_typed(sb.get(), "HostRefuse", {HL_VAL_I32}, HL_VAL_I32, refuse, HL_TYPED_ERROR);
  hl_val_t a = i32(5);
  std::string message = expect_call_error(sb.get(), "Refuse", &a, 1, HL_ERROR_HOST_FUNCTION_FAILED);
  EXPECT_NE(message.find("refused 5"), std::string::npos) << message;
  EXPECT_EQ(hl_sandbox_status(sb.get()), HL_SANDBOX_READY);  // a host function's error does not poison
  a = i32(6);
  message = expect_call_error(sb.get(), "Refuse", &a, 1, HL_ERROR_HOST_FUNCTION_FAILED);
  EXPECT_NE(message.find("refused 6"), std::string::npos) << message;
}

TEST(TypedHostFunctions, MallocedResultsAreFreedUnderFreeResult) {
  SandboxPtr sb = forward_sandbox();
  register_typed(sb.get(), "HostShout", {HL_VAL_STRING}, HL_VAL_STRING, shout, HL_TYPED_FREE_RESULT);
  register_typed(sb.get(), "HostTwice", {HL_VAL_BYTES}, HL_VAL_BYTES, twice, HL_TYPED_FREE_RESULT);
  register_typed(sb.get(), "HostShoutButFail", {HL_VAL_STRING}, HL_VAL_STRING, shout_but_fail,
                 HL_TYPED_ERROR | HL_TYPED_FREE_RESULT);
  for (int round = 0; round < 3; round++) {  // valgrind (memcheck.integration) sees any leak
    hl_val_t a = str("hey");
    Result r;
    ErrorPtr err(hl_call(sb.get(), "Shout", &a, 1, &r.val));
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(r.str(), "HEY!");
    hl_val_t b = val(HL_VAL_BYTES);
    b.of.bytes.ptr = reinterpret_cast<const uint8_t *>("ab");
    b.of.bytes.len = 2;
    Result r2;
    err.reset(hl_call(sb.get(), "Twice", &b, 1, &r2.val));
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(r2.val.of.bytes.ptr), r2.val.of.bytes.len), "abab");
    std::string message = expect_call_error(sb.get(), "ShoutButFail", &a, 1, HL_ERROR_HOST_FUNCTION_FAILED);
    EXPECT_NE(message.find("changed my mind"), std::string::npos) << message;
  }
}

TEST(TypedHostFunctions, NullResultsFailTheCall) {
  SandboxPtr sb = forward_sandbox();
  register_typed(sb.get(), "HostNullString", {}, HL_VAL_STRING, null_string);
  register_typed(sb.get(), "HostNullBytes", {}, HL_VAL_BYTES, null_bytes);
  std::string message = expect_call_error(sb.get(), "NullString", nullptr, 0, HL_ERROR_HOST_FUNCTION_FAILED);
  EXPECT_NE(message.find("NULL string"), std::string::npos) << message;
  message = expect_call_error(sb.get(), "NullBytes", nullptr, 0, HL_ERROR_HOST_FUNCTION_FAILED);
  EXPECT_NE(message.find("NULL pointer and length 3"), std::string::npos) << message;
  EXPECT_EQ(hl_sandbox_status(sb.get()), HL_SANDBOX_READY);
}

TEST(TypedHostFunctions, TheGuestsArgumentsAreCheckedFirst) {
  SandboxPtr sb = forward_sandbox();
  register_typed(sb.get(), "HostEchoI64", {HL_VAL_I64}, HL_VAL_I64, echo_i64);
  hl_val_t a = i32(1);
  expect_call_error(sb.get(), "EchoI64", &a, 1, HL_ERROR_PARAMETER_TYPE_MISMATCH);
  expect_call_error(sb.get(), "EchoI64", nullptr, 0, HL_ERROR_PARAMETER_COUNT_MISMATCH);
}

namespace {
void count_finalize(void *user_data) { ++*static_cast<int *>(user_data); }
}  // namespace

TEST(TypedHostFunctions, BadInputIsRefusedAndFinalized) {
  SandboxPtr sb = forward_sandbox();
  auto fn = reinterpret_cast<hl_typed_fn_t>(echo_i32);
  const hl_val_kind_t one_i32[] = {HL_VAL_I32};
  std::vector<hl_val_kind_t> too_many(33, HL_VAL_I32);
  const std::string long_name(256, 'x');
  struct Case {
    const char *what;
    hl_sandbox_t *sandbox;
    const char *name;
    const hl_val_kind_t *params;
    size_t nparams;
    hl_val_kind_t result;
    hl_typed_fn_t fn;
    uint32_t flags;
    const char *says;
  };
  const hl_val_kind_t void_param[] = {HL_VAL_VOID};
  const hl_val_kind_t unknown_param[] = {10};
  const Case cases[] = {
      {"NULL sandbox", nullptr, "HostX", one_i32, 1, HL_VAL_I32, fn, 0, "sandbox is NULL"},
      {"NULL name", sb.get(), nullptr, one_i32, 1, HL_VAL_I32, fn, 0, "name must be 1 to 255 bytes"},
      {"empty name", sb.get(), "", one_i32, 1, HL_VAL_I32, fn, 0, "name must be 1 to 255 bytes"},
      {"long name", sb.get(), long_name.c_str(), one_i32, 1, HL_VAL_I32, fn, 0, "name must be 1 to 255 bytes"},
      {"NULL fn", sb.get(), "HostX", one_i32, 1, HL_VAL_I32, nullptr, 0, "fn is NULL"},
      {"unknown flag", sb.get(), "HostX", one_i32, 1, HL_VAL_I32, fn, 8, "unknown flags 0x8"},
      {"void parameter", sb.get(), "HostX", void_param, 1, HL_VAL_I32, fn, 0, "parameter 0 has kind 0"},
      {"unknown kind", sb.get(), "HostX", unknown_param, 1, HL_VAL_I32, fn, 0, "parameter 0 has kind 10"},
      {"unknown result", sb.get(), "HostX", one_i32, 1, 42, fn, 0, "result kind 42"},
      {"33 parameters", sb.get(), "HostX", too_many.data(), 33, HL_VAL_I32, fn, 0, "33 parameters, at most 32"},
      {"NULL kinds", sb.get(), "HostX", nullptr, 1, HL_VAL_I32, fn, 0, "param_kinds is NULL"},
  };
  for (const Case &c : cases) {
    int finalized = 0;
    ErrorPtr err(
        hl_register_typed(c.sandbox, c.name, c.params, c.nparams, c.result, c.fn, c.flags, &finalized, count_finalize));
    ASSERT_TRUE(err) << c.what;
    EXPECT_EQ(hl_error_code(err.get()), HL_ERROR_INVALID_ARGUMENT) << c.what;
    EXPECT_NE(std::string(hl_error_message(err.get())).find(c.says), std::string::npos)
        << c.what << ": " << hl_error_message(err.get());
    EXPECT_EQ(finalized, 1) << c.what;
  }

  int kept = 0, duplicate = 0;
  ErrorPtr err(hl_register_typed(sb.get(), "HostEchoI32", one_i32, 1, HL_VAL_I32, fn, 0, &kept, count_finalize));
  ASSERT_FALSE(err) << describe(err);
  err.reset(hl_register_typed(sb.get(), "HostEchoI32", one_i32, 1, HL_VAL_I32, fn, 0, &duplicate, count_finalize));
  EXPECT_EQ(code_of(err), HL_ERROR_ALREADY_REGISTERED);
  EXPECT_EQ(duplicate, 1);
  EXPECT_EQ(kept, 0);
  sb.reset();
  EXPECT_EQ(kept, 1);  // finalized once, with the sandbox
}

// ---- guest function pointers ----

// A failed pointer call returns zero and sets the error, so a zero result
// proves nothing by itself: every call in the test below is checked.
#define EXPECT_NO_CALL_ERROR()                                                      \
  do {                                                                              \
    EXPECT_EQ(error, nullptr) << (error != nullptr ? hl_error_message(error) : ""); \
    hl_error_delete(error);                                                         \
    error = nullptr;                                                                \
  } while (0)

TEST(GuestFunctionPointers, EveryKindInAndOut) {
  SandboxPtr sb = sandbox_of(HL_SDKGUEST_PATH);
  hl_error_t *error = nullptr;

  auto i32fn = guest_function(sb.get(), "EchoI32", HL_VAL_I32, {HL_VAL_I32});
  auto u32fn = guest_function(sb.get(), "EchoU32", HL_VAL_U32, {HL_VAL_U32});
  auto i64fn = guest_function(sb.get(), "EchoI64", HL_VAL_I64, {HL_VAL_I64});
  auto u64fn = guest_function(sb.get(), "EchoU64", HL_VAL_U64, {HL_VAL_U64});
  auto f32fn = guest_function(sb.get(), "EchoF32", HL_VAL_F32, {HL_VAL_F32});
  auto f64fn = guest_function(sb.get(), "EchoF64", HL_VAL_F64, {HL_VAL_F64});
  auto boolfn = guest_function(sb.get(), "EchoBool", HL_VAL_BOOL, {HL_VAL_BOOL});
  auto strfn = guest_function(sb.get(), "EchoString", HL_VAL_STRING, {HL_VAL_STRING});
  auto bytesfn = guest_function(sb.get(), "EchoBytes", HL_VAL_BYTES, {HL_VAL_BYTES});
  auto addfn = guest_function(sb.get(), "Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I32});

  EXPECT_EQ(pointer_of<int32_t (*)(hl_error_t **, int32_t)>(i32fn)(&error, INT32_MIN), INT32_MIN);
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(pointer_of<uint32_t (*)(hl_error_t **, uint32_t)>(u32fn)(&error, UINT32_MAX), UINT32_MAX);
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(pointer_of<int64_t (*)(hl_error_t **, int64_t)>(i64fn)(&error, INT64_MIN), INT64_MIN);
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(pointer_of<uint64_t (*)(hl_error_t **, uint64_t)>(u64fn)(&error, UINT64_MAX), UINT64_MAX);
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(pointer_of<float (*)(hl_error_t **, float)>(f32fn)(&error, -1.5f), -1.5f);
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(pointer_of<double (*)(hl_error_t **, double)>(f64fn)(&error, 2.25e-300), 2.25e-300);
  EXPECT_NO_CALL_ERROR();
  auto echo_bool_fn = pointer_of<uint8_t (*)(hl_error_t **, uint8_t)>(boolfn);
  EXPECT_EQ(echo_bool_fn(&error, 1), 1);
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(echo_bool_fn(&error, 0), 0);
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(echo_bool_fn(&error, 7), 1);  // any non-zero is true
  EXPECT_EQ(pointer_of<int32_t (*)(hl_error_t **, int32_t, int32_t)>(addfn)(&error, 40, 2), 42);
  EXPECT_NO_CALL_ERROR();

  char *text = pointer_of<char *(*)(hl_error_t **, const char *)>(strfn)(&error, "through a pointer");
  EXPECT_NO_CALL_ERROR();
  ASSERT_NE(text, nullptr);
  EXPECT_STREQ(text, "through a pointer");
  hl_free(text);
  text = pointer_of<char *(*)(hl_error_t **, const char *)>(strfn)(&error, "");
  EXPECT_NO_CALL_ERROR();
  ASSERT_NE(text, nullptr);
  EXPECT_STREQ(text, "");
  hl_free(text);

  const std::string blob("\x00\x01\xfe\x00", 4);
  auto echo_bytes_fn = pointer_of<hl_bytes_t (*)(hl_error_t **, const uint8_t *, size_t)>(bytesfn);
  hl_bytes_t out = echo_bytes_fn(&error, reinterpret_cast<const uint8_t *>(blob.data()), blob.size());
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(out.ptr), out.len), blob);
  hl_free(out.ptr);
  out = echo_bytes_fn(&error, nullptr, 0);
  EXPECT_NO_CALL_ERROR();
  EXPECT_EQ(out.len, 0u);
  hl_free(out.ptr);
}

TEST(GuestFunctionPointers, ElevenMixedParametersAndVoid) {
  SandboxPtr sb = sandbox_of(HL_SDKGUEST_PATH);
  auto all = guest_function(sb.get(), "AllTypes", HL_VAL_STRING,
                            {HL_VAL_I32, HL_VAL_U32, HL_VAL_I64, HL_VAL_U64, HL_VAL_F32, HL_VAL_F64, HL_VAL_BOOL,
                             HL_VAL_STRING, HL_VAL_BYTES, HL_VAL_I32, HL_VAL_I64});
  using AllTypes = char *(*)(hl_error_t **, int32_t, uint32_t, int64_t, uint64_t, float, double, uint8_t, const char *,
                             const uint8_t *, size_t, int32_t, int64_t);
  const uint8_t blob[] = {0x2a, 0x00, 0x01};
  hl_error_t *error = nullptr;
  char *text = pointer_of<AllTypes>(all)(&error, -7, 4000000000u, -1234567890123, UINT64_MAX, 1.5f, -0.5, 1, "text",
                                         blob, 3, 99, INT64_MIN);
  ASSERT_EQ(error, nullptr) << hl_error_message(error);
  ASSERT_NE(text, nullptr);
  EXPECT_STREQ(text,
               "-7 4000000000 -1234567890123 18446744073709551615 1.5 -0.5 true text "
               "3:2a 99 -9223372036854775808");
  hl_free(text);

  auto nothing = guest_function(sb.get(), "Nothing", HL_VAL_VOID, {});
  auto calls = guest_function(sb.get(), "NothingCalls", HL_VAL_I32, {});
  for (int n = 0; n < 3; n++) pointer_of<void (*)(hl_error_t **)>(nothing)(nullptr);
  EXPECT_EQ(pointer_of<int32_t (*)(hl_error_t **)>(calls)(nullptr), 3);
}

TEST(GuestFunctionPointers, ErrorsComeThroughTheFirstParameter) {
  SandboxPtr sb = sandbox_of(HL_SDKGUEST_PATH);
  auto divide = guest_function(sb.get(), "Divide", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I32});
  auto fn = pointer_of<int32_t (*)(hl_error_t **, int32_t, int32_t)>(divide);
  hl_error_t *error = nullptr;
  EXPECT_EQ(fn(&error, 84, 2), 42);
  EXPECT_EQ(error, nullptr);
  EXPECT_EQ(fn(&error, 84, 0), 0);  // the result is zero on error
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(hl_error_code(error), HL_ERROR_GUEST_ERROR);
  EXPECT_NE(std::string(hl_error_message(error)).find("division by zero"), std::string::npos)
      << hl_error_message(error);
  EXPECT_EQ(std::string(hl_error_message(error)).rfind("guest function pointer 'Divide'", 0), 0u)
      << hl_error_message(error);
  hl_error_delete(error);
  EXPECT_EQ(fn(nullptr, 1, 0), 0);  // a NULL error pointer ignores the error
  EXPECT_EQ(fn(&error, 9, 3), 3);   // and the error is gone: the next call succeeds
  EXPECT_EQ(error, nullptr);

  auto echo = guest_function(sb.get(), "EchoString", HL_VAL_STRING, {HL_VAL_STRING});
  error = nullptr;
  EXPECT_EQ(pointer_of<char *(*)(hl_error_t **, const char *)>(echo)(&error, nullptr), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(hl_error_code(error), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hl_error_message(error)).find("NULL string"), std::string::npos) << hl_error_message(error);
  hl_error_delete(error);

  auto bytes = guest_function(sb.get(), "EchoBytes", HL_VAL_BYTES, {HL_VAL_BYTES});
  error = nullptr;
  hl_bytes_t out = pointer_of<hl_bytes_t (*)(hl_error_t **, const uint8_t *, size_t)>(bytes)(&error, nullptr, 5);
  EXPECT_EQ(out.ptr, nullptr);
  EXPECT_EQ(out.len, 0u);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(hl_error_code(error), HL_ERROR_INVALID_ARGUMENT);
  hl_error_delete(error);
}

TEST(GuestFunctionPointers, CheckedAgainstTheGuestsTable) {
  SandboxPtr sb = new_sandbox();  // simpleguest: a table, no fallback
  auto expect_refused = [&](const char *name, hl_val_kind_t result, std::vector<hl_val_kind_t> params,
                            hl_error_code_t code, const char *says) {
    hl_guest_function_t *fn = reinterpret_cast<hl_guest_function_t *>(1);
    ErrorPtr err(hl_guest_function_new(sb.get(), name, result, params.data(), params.size(), &fn));
    EXPECT_EQ(code_of(err), code) << name << ": " << describe(err);
    if (err) {
      EXPECT_NE(std::string(hl_error_message(err.get())).find(says), std::string::npos) << describe(err);
    }
    EXPECT_EQ(fn, nullptr);
  };
  expect_refused("NoSuchFunction", HL_VAL_I32, {}, HL_ERROR_GUEST_FUNCTION_NOT_FOUND, "no such function");
  expect_refused("Add", HL_VAL_I32, {HL_VAL_I32}, HL_ERROR_PARAMETER_COUNT_MISMATCH, "takes 2 parameters, not 1");
  expect_refused("Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I64}, HL_ERROR_PARAMETER_TYPE_MISMATCH,
                 "parameter 1 is i32 in the guest, not i64");
  expect_refused("Add", HL_VAL_STRING, {HL_VAL_I32, HL_VAL_I32}, HL_ERROR_PARAMETER_TYPE_MISMATCH, "returns i32");
  expect_refused("Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_VOID}, HL_ERROR_INVALID_ARGUMENT, "parameter 1 has kind 0");
  expect_refused("Add", 11, {HL_VAL_I32, HL_VAL_I32}, HL_ERROR_INVALID_ARGUMENT, "result kind 11");
  expect_refused("Add", HL_VAL_I32, std::vector<hl_val_kind_t>(33, HL_VAL_I32), HL_ERROR_INVALID_ARGUMENT,
                 "at most 32");
  expect_refused("", HL_VAL_I32, {}, HL_ERROR_INVALID_ARGUMENT, "name must be 1 to 255 bytes");

  hl_guest_function_t *fn = nullptr;
  ErrorPtr err(hl_guest_function_new(nullptr, "Add", HL_VAL_I32, nullptr, 0, &fn));
  EXPECT_EQ(code_of(err), HL_ERROR_INVALID_ARGUMENT);
  err.reset(hl_guest_function_new(sb.get(), "Add", HL_VAL_I32, nullptr, 0, nullptr));
  EXPECT_EQ(code_of(err), HL_ERROR_INVALID_ARGUMENT);
  err.reset(hl_guest_function_new(sb.get(), "Add", HL_VAL_I32, nullptr, 2, &fn));
  EXPECT_EQ(code_of(err), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hl_guest_function_pointer(nullptr), nullptr);
  hl_guest_function_delete(nullptr);
}

TEST(GuestFunctionPointers, AGuestWithAFallbackTakesAnyName) {
  SandboxPtr sb = forward_sandbox();
  register_typed(sb.get(), "HostAdd", {HL_VAL_I32, HL_VAL_I32}, HL_VAL_I32, add);
  // C -> closure -> guest -> typed host function -> C, and back.
  auto fn = guest_function(sb.get(), "Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I32});
  hl_error_t *error = nullptr;
  EXPECT_EQ(pointer_of<int32_t (*)(hl_error_t **, int32_t, int32_t)>(fn)(&error, 20, 22), 42);
  EXPECT_EQ(error, nullptr);
  // The guest answers with what the host returned: an i32, not the i64 this pointer expects.
  auto wrong = guest_function(sb.get(), "Add", HL_VAL_I64, {HL_VAL_I32, HL_VAL_I32});
  EXPECT_EQ(pointer_of<int64_t (*)(hl_error_t **, int32_t, int32_t)>(wrong)(&error, 1, 2), 0);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(hl_error_code(error), HL_ERROR_PARAMETER_TYPE_MISMATCH);
  EXPECT_NE(std::string(hl_error_message(error)).find("returned i32"), std::string::npos) << hl_error_message(error);
  hl_error_delete(error);
}

TEST(GuestFunctionPointers, CallingAfterTheSandboxIsDeletedIsAnError) {
  SandboxPtr sb = new_sandbox();
  auto fn = guest_function(sb.get(), "Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I32});
  auto add_fn = pointer_of<int32_t (*)(hl_error_t **, int32_t, int32_t)>(fn);
  hl_error_t *error = nullptr;
  EXPECT_EQ(add_fn(&error, 1, 2), 3);
  sb.reset();
  EXPECT_EQ(add_fn(&error, 1, 2), 0);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(hl_error_code(error), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hl_error_message(error)).find("sandbox was deleted"), std::string::npos)
      << hl_error_message(error);
  hl_error_delete(error);
  fn.reset();  // deleting the guest function afterwards is fine
}

// Threads that keep calling through pointers must not hold a delete off:
// once hl_sandbox_delete begins, new calls are turned away ("sandbox was
// deleted") and the delete waits only for the calls already running. With
// a plain reader/writer lock, four looping callers kept the delete waiting
// for seconds.
TEST(GuestFunctionPointers, DeleteWhileThreadsKeepCallingFinishes) {
  SandboxPtr sb = new_sandbox();
  auto fn = guest_function(sb.get(), "Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I32});
  auto add_fn = pointer_of<int32_t (*)(hl_error_t **, int32_t, int32_t)>(fn);
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0}, unexpected{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; t++)
    callers.emplace_back([&] {
      while (!stop) {
        hl_error_t *error = nullptr;
        int32_t sum = add_fn(&error, 1, 2);
        if (error == nullptr) {
          if (sum != 3) unexpected++;
        } else if (hl_error_code(error) == HL_ERROR_INVALID_ARGUMENT) {
          refused++;  // the sandbox is being or was deleted
        } else if (hl_error_code(error) != HL_ERROR_BUSY) {
          unexpected++;
        }
        hl_error_delete(error);
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto start = std::chrono::steady_clock::now();
  sb.reset();  // hl_sandbox_delete while the callers go on
  const auto took = std::chrono::steady_clock::now() - start;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (std::thread &t : callers) t.join();
  EXPECT_LT(took, std::chrono::seconds(5)) << "hl_sandbox_delete waited for callers that kept coming";
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(unexpected.load(), 0);
}

namespace {
// A host function that calls back into its own sandbox through a pointer.
int32_t reenter(void *user_data, int32_t a, int32_t b) {
  auto *fn = static_cast<hl_guest_function_t *>(user_data);
  hl_error_t *error = nullptr;
  reinterpret_cast<int32_t (*)(hl_error_t **, int32_t, int32_t)>(hl_guest_function_pointer(fn))(&error, a, b);
  int32_t code = static_cast<int32_t>(hl_error_code(error));
  hl_error_delete(error);
  return code;
}
}  // namespace

TEST(GuestFunctionPointers, ReentryFromAHostFunctionIsBusy) {
  SandboxPtr sb = new_sandbox();
  auto fn = guest_function(sb.get(), "Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I32});
  register_typed(sb.get(), "HostAdd", {HL_VAL_I32, HL_VAL_I32}, HL_VAL_I32, reenter, HL_TYPED_USER_DATA, fn.get());
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "AddViaHost", args, 2, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, static_cast<int32_t>(HL_ERROR_BUSY));
}

TEST(GuestFunctionPointers, TwoThreadsOnOneSandboxGetBusy) {
  SandboxPtr sb = new_sandbox();
  hl_interrupt_handle_t *raw_handle = nullptr;
  ErrorPtr err(hl_sandbox_interrupt_handle(sb.get(), &raw_handle));
  ASSERT_FALSE(err) << describe(err);
  HandlePtr handle(raw_handle);
  auto spin = guest_function(sb.get(), "SpinFor", HL_VAL_I64, {HL_VAL_I64});
  auto add_fn = guest_function(sb.get(), "Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I32});
  std::atomic<bool> done{false};
  hl_error_t *spin_error = nullptr;
  std::thread spinner([&] {
    // Until killed; retried while the other thread's short call holds the sandbox.
    // The sleeps hand the sandbox over now and then: valgrind runs one
    // thread at a time, and two threads that retry at once can keep missing
    // each other for minutes.
    do {
      hl_error_delete(spin_error);
      spin_error = nullptr;
      pointer_of<int64_t (*)(hl_error_t **, int64_t)>(spin)(&spin_error, INT64_MAX);
      if (spin_error != nullptr) std::this_thread::sleep_for(std::chrono::microseconds(50));
    } while (spin_error != nullptr && hl_error_code(spin_error) == HL_ERROR_BUSY);
    done = true;
  });
  bool busy = false;
  while (!busy && !done) {
    hl_error_t *error = nullptr;
    pointer_of<int32_t (*)(hl_error_t **, int32_t, int32_t)>(add_fn)(&error, 1, 1);
    busy = error != nullptr && hl_error_code(error) == HL_ERROR_BUSY;
    hl_error_delete(error);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  while (!done) {
    hl_kill(handle.get());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spinner.join();
  EXPECT_TRUE(busy);
  ASSERT_NE(spin_error, nullptr);
  EXPECT_EQ(hl_error_code(spin_error), HL_ERROR_CANCELLED) << hl_error_message(spin_error);
  hl_error_delete(spin_error);
}

TEST(GuestFunctionPointers, ManyThreadsThroughManyPointers) {
  constexpr int kSandboxes = 3, kCalls = 150;
  std::vector<SandboxPtr> sandboxes;
  std::vector<GuestFunctionPtr> adds, echoes;
  for (int s = 0; s < kSandboxes; s++) {
    sandboxes.push_back(new_sandbox());
    adds.push_back(guest_function(sandboxes.back().get(), "Add", HL_VAL_I32, {HL_VAL_I32, HL_VAL_I32}));
    echoes.push_back(guest_function(sandboxes.back().get(), "Echo", HL_VAL_STRING, {HL_VAL_STRING}));
  }
  std::atomic<int> succeeded{0}, busy{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int s = 0; s < kSandboxes; s++) {
    // Two threads per sandbox, each through its own pointer.
    threads.emplace_back([&, s] {
      auto fn = pointer_of<int32_t (*)(hl_error_t **, int32_t, int32_t)>(adds[s]);
      for (int n = 0; n < kCalls; n++) {
        hl_error_t *error = nullptr;
        int32_t sum = fn(&error, n, s);
        if (error == nullptr) {
          (sum == n + s ? succeeded : wrong)++;
        } else {
          (hl_error_code(error) == HL_ERROR_BUSY ? busy : wrong)++;
          hl_error_delete(error);
        }
      }
    });
    threads.emplace_back([&, s] {
      auto fn = pointer_of<char *(*)(hl_error_t **, const char *)>(echoes[s]);
      for (int n = 0; n < kCalls; n++) {
        std::string text = "call " + std::to_string(n) + " on " + std::to_string(s);
        hl_error_t *error = nullptr;
        char *back = fn(&error, text.c_str());
        if (error == nullptr) {
          (back != nullptr && text == back ? succeeded : wrong)++;
        } else {
          (hl_error_code(error) == HL_ERROR_BUSY && back == nullptr ? busy : wrong)++;
          hl_error_delete(error);
        }
        hl_free(back);
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(succeeded + busy, 2 * kSandboxes * kCalls);
  EXPECT_GT(succeeded.load(), 0);
}
