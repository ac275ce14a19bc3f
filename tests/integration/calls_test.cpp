// Guest calls through the C ABI on real KVM: values, host calls, threads.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

TEST(Calls, Add) {
  SandboxPtr sb = new_sandbox();
  ASSERT_TRUE(sb);
  hl_val_t args[] = {i32(40), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Add", args, 2, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.kind, HL_VAL_I32);
  EXPECT_EQ(r.val.of.i32, 42);
}

TEST(Calls, AddI64WrapsLikeTheGuest) {
  SandboxPtr sb = new_sandbox();
  hl_val_t args[] = {i64(INT64_MAX), i64(1)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "AddI64", args, 2, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.kind, HL_VAL_I64);
  EXPECT_EQ(r.val.of.i64, INT64_MIN);
}

TEST(Calls, EchoReturnsAnOwnedCopy) {
  SandboxPtr sb = new_sandbox();
  for (std::string text : {std::string("hello, sandbox"), std::string(), std::string(40000, 'x')}) {
    hl_val_t arg = str(text);
    Result r;
    ErrorPtr err(hl_call(sb.get(), "Echo", &arg, 1, &r.val));
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(r.val.kind, HL_VAL_STRING);
    EXPECT_EQ(r.val.flags & HL_VAL_FLAG_OWNED, HL_VAL_FLAG_OWNED);
    EXPECT_EQ(r.str(), text);
  }
}

TEST(Calls, EchoTooLargeForTheInputBufferIsTooLarge) {
  SandboxPtr sb = new_sandbox();
  std::string big(1 << 20, 'y');
  hl_val_t arg = str(big);
  std::string msg = expect_call_error(sb.get(), "Echo", &arg, 1, HL_ERROR_TOO_LARGE);
  EXPECT_NE(msg.find("input buffer"), std::string::npos) << msg;
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Add", args, 2, &r.val));
  EXPECT_FALSE(err) << "a refused call must not poison: " << describe(err);
}

TEST(Calls, AddViaHost) {
  SandboxPtr sb = new_sandbox();
  register_host_add(sb.get());
  hl_val_t args[] = {i32(20), i32(22)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "AddViaHost", args, 2, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 42);
}

TEST(Calls, TenThousandHostCallsInOneGuestCall) {
  SandboxPtr sb = new_sandbox();
  register_host_add(sb.get());
  hl_val_t arg = i32(10000);
  Result r;
  ErrorPtr err(hl_call(sb.get(), "CountViaHost", &arg, 1, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 10000);
}

hl_error_t *host_echo(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  std::string doubled(args[0].of.string.ptr, args[0].of.string.len);
  doubled += doubled;
  return hl_val_set_string(result, doubled.data(), doubled.size());
}

TEST(Calls, HostFunctionsReturnOwnedStrings) {
  SandboxPtr sb = new_sandbox();
  const hl_val_kind_t params[] = {HL_VAL_STRING};
  ErrorPtr reg(hl_register(sb.get(), "HostEcho", params, 1, HL_VAL_STRING, host_echo, nullptr, nullptr));
  ASSERT_FALSE(reg) << describe(reg);
  hl_val_t arg = str("ab");
  Result r;
  ErrorPtr err(hl_call(sb.get(), "EchoViaHost", &arg, 1, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.str(), "abab");
}

// HostNotify(i32) -> void: records its argument and leaves result untouched.
hl_error_t *host_notify(void *user_data, const hl_val_t *args, size_t, hl_val_t *) {
  *static_cast<int32_t *>(user_data) = args[0].of.i32;
  return nullptr;
}

TEST(Calls, VoidHostFunctionReturnsNothingToTheGuest) {
  SandboxPtr sb = new_sandbox();
  int32_t seen = 0;
  const hl_val_kind_t params[] = {HL_VAL_I32};
  ErrorPtr reg(hl_register(sb.get(), "HostNotify", params, 1, HL_VAL_VOID, host_notify, &seen, nullptr));
  ASSERT_FALSE(reg) << describe(reg);
  for (int32_t i = 1; i <= 3; i++) {
    hl_val_t arg = i32(i);
    Result r;
    ErrorPtr err(hl_call(sb.get(), "NotifyViaHost", &arg, 1, &r.val));
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(r.val.of.i32, i);
    EXPECT_EQ(seen, i);
  }
}

hl_error_t *host_notify_with_a_value(void *, const hl_val_t *, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I32;
  result->of.i32 = 1;
  return nullptr;
}

TEST(Calls, VoidHostFunctionThatSetsAResultFails) {
  SandboxPtr sb = new_sandbox();
  const hl_val_kind_t params[] = {HL_VAL_I32};
  ErrorPtr reg(hl_register(sb.get(), "HostNotify", params, 1, HL_VAL_VOID, host_notify_with_a_value, nullptr, nullptr));
  ASSERT_FALSE(reg) << describe(reg);
  hl_val_t arg = i32(5);
  std::string msg = expect_call_error(sb.get(), "NotifyViaHost", &arg, 1, HL_ERROR_HOST_FUNCTION_FAILED);
  EXPECT_NE(msg.find("returned i32 but was registered to return void"), std::string::npos) << msg;
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Add", args, 2, &r.val));
  EXPECT_FALSE(err) << "a failed host function must not poison: " << describe(err);
}

TEST(Calls, GetCplIsRing3) {
  SandboxPtr sb = new_sandbox();
  Result r;
  ErrorPtr err(hl_call(sb.get(), "GetCpl", nullptr, 0, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 3);
}

TEST(Calls, PrintHelloReachesStdout) {
  SandboxPtr sb = new_sandbox();
  testing::internal::CaptureStdout();
  Result r;
  ErrorPtr err(hl_call(sb.get(), "PrintHello", nullptr, 0, &r.val));
  std::string out = testing::internal::GetCapturedStdout();
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.kind, HL_VAL_VOID);
  EXPECT_EQ(out, "Hello from the guest!\n");
}

TEST(Calls, ThousandSequentialCallsOnOneSandbox) {
  SandboxPtr sb = new_sandbox();
  for (int32_t i = 0; i < 1000; i++) {
    hl_val_t args[] = {i32(i), i32(i)};
    Result r;
    ErrorPtr err(hl_call(sb.get(), "Add", args, 2, &r.val));
    ASSERT_FALSE(err) << "call " << i << ": " << describe(err);
    ASSERT_EQ(r.val.of.i32, 2 * i);
  }
}

TEST(Calls, TwoSandboxesOnTwoThreadsAtOnce) {
  std::atomic<int> failures{0};
  auto worker = [&failures](int32_t base) {
    SandboxPtr sb = new_sandbox();
    if (!sb) {
      failures++;
      return;
    }
    register_host_add(sb.get());
    for (int32_t i = 0; i < 300; i++) {
      hl_val_t args[] = {i32(base), i32(i)};
      Result r;
      ErrorPtr err(hl_call(sb.get(), i % 2 ? "Add" : "AddViaHost", args, 2, &r.val));
      if (err || r.val.of.i32 != base + i) failures++;
    }
  };
  std::thread a(worker, 1000), b(worker, 2000);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Calls, SandboxFromMemory) {
  FILE *f = fopen(HL_SIMPLEGUEST_PATH, "rb");
  ASSERT_NE(f, nullptr);
  std::vector<uint8_t> elf;
  int c;
  while ((c = fgetc(f)) != EOF) elf.push_back(static_cast<uint8_t>(c));
  fclose(f);
  hl_sandbox_t *raw = nullptr;
  ErrorPtr err(hl_sandbox_new_from_memory(nullptr, elf.data(), elf.size(), &raw));
  SandboxPtr sb(raw);
  ASSERT_FALSE(err) << describe(err);
  elf.assign(elf.size(), 0);  // the sandbox must not depend on the caller's buffer
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ErrorPtr call_err(hl_call(sb.get(), "Add", args, 2, &r.val));
  ASSERT_FALSE(call_err) << describe(call_err);
  EXPECT_EQ(r.val.of.i32, 3);
}

TEST(Calls, ConfigSizesAreUsed) {
  ConfigPtr cfg(hl_config_new());
  ErrorPtr e1(hl_config_set_heap_size(cfg.get(), 1 << 20));
  ErrorPtr e2(hl_config_set_stack_size(cfg.get(), 64 << 10));
  ASSERT_FALSE(e1 || e2);
  SandboxPtr sb = new_sandbox(cfg.get());
  ASSERT_TRUE(sb);
  ErrorPtr bad(hl_config_set_heap_size(cfg.get(), 5));
  ASSERT_TRUE(bad);
  EXPECT_EQ(hl_error_code(bad.get()), HL_ERROR_INVALID_ARGUMENT);
}

TEST(Calls, VersionMatchesTheHeader) {
  EXPECT_EQ(hl_version(), static_cast<uint32_t>(HL_VERSION));
  EXPECT_STREQ(hl_version_string(), HL_VERSION_STRING);
}

}  // namespace
