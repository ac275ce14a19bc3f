// Every failure has its own code and a message naming what is at fault;
// guest crashes poison the sandbox but never harm the host.
#include <string>

#include "test_support.h"

namespace {

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

void expect_poisoned(hl_sandbox_t *sb) {
  hl_val_t args[] = {i32(1), i32(2)};
  std::string msg = expect_call_error(sb, "Add", args, 2, HL_ERROR_POISONED);
  EXPECT_TRUE(contains(msg, "poisoned")) << msg;
}

void expect_still_usable(hl_sandbox_t *sb) {
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb, "Add", args, 2, &r.val));
  EXPECT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 3);
}

TEST(Errors, UnknownGuestFunction) {
  SandboxPtr sb = new_sandbox();
  std::string msg = expect_call_error(sb.get(), "NoSuchFunction", nullptr, 0, HL_ERROR_GUEST_FUNCTION_NOT_FOUND);
  EXPECT_TRUE(contains(msg, "NoSuchFunction")) << msg;
  expect_still_usable(sb.get());
}

TEST(Errors, HostFunctionMissing) {
  SandboxPtr sb = new_sandbox();  // HostAdd deliberately not registered
  hl_val_t args[] = {i32(1), i32(2)};
  std::string msg = expect_call_error(sb.get(), "AddViaHost", args, 2, HL_ERROR_HOST_FUNCTION_NOT_FOUND);
  EXPECT_TRUE(contains(msg, "HostAdd")) << msg;
  EXPECT_TRUE(contains(msg, "AddViaHost")) << msg;
  expect_still_usable(sb.get());
}

hl_error_t *failing_host_add(void *, const hl_val_t *, size_t, hl_val_t *) {
  return hl_error_new("the database is down");
}

TEST(Errors, HostFunctionFailureReachesTheCaller) {
  SandboxPtr sb = new_sandbox();
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  ErrorPtr reg(hl_register(sb.get(), "HostAdd", params, 2, HL_VAL_I32, failing_host_add, nullptr, nullptr));
  ASSERT_FALSE(reg);
  hl_val_t args[] = {i32(1), i32(2)};
  std::string msg = expect_call_error(sb.get(), "AddViaHost", args, 2, HL_ERROR_HOST_FUNCTION_FAILED);
  EXPECT_TRUE(contains(msg, "the database is down")) << msg;
  expect_still_usable(sb.get());
}

TEST(Errors, HostSignatureMismatchIsReportedToTheGuest) {
  SandboxPtr sb = new_sandbox();
  const hl_val_kind_t params[] = {HL_VAL_I64, HL_VAL_I64};
  ErrorPtr reg(hl_register(sb.get(), "HostAdd", params, 2, HL_VAL_I64, failing_host_add, nullptr, nullptr));
  ASSERT_FALSE(reg);
  hl_val_t args[] = {i32(1), i32(2)};
  std::string msg = expect_call_error(sb.get(), "AddViaHost", args, 2, HL_ERROR_PARAMETER_TYPE_MISMATCH);
  EXPECT_TRUE(contains(msg, "i64")) << msg;
}

TEST(Errors, WrongArgumentCountAndType) {
  SandboxPtr sb = new_sandbox();
  hl_val_t one[] = {i32(1)};
  std::string msg = expect_call_error(sb.get(), "Add", one, 1, HL_ERROR_PARAMETER_COUNT_MISMATCH);
  EXPECT_TRUE(contains(msg, "Add")) << msg;
  hl_val_t mixed[] = {i32(1), str("two")};
  msg = expect_call_error(sb.get(), "Add", mixed, 2, HL_ERROR_PARAMETER_TYPE_MISMATCH);
  EXPECT_TRUE(contains(msg, "parameter 1")) << msg;
  EXPECT_TRUE(contains(msg, "string")) << msg;
  expect_still_usable(sb.get());
}

TEST(Errors, InvalidArgumentsFromTheCaller) {
  SandboxPtr sb = new_sandbox();
  hl_val_t bad{};
  bad.kind = 200;
  expect_call_error(sb.get(), "Add", &bad, 1, HL_ERROR_INVALID_ARGUMENT);
  expect_call_error(sb.get(), "", nullptr, 0, HL_ERROR_INVALID_ARGUMENT);
  expect_call_error(sb.get(), "Add", nullptr, 2, HL_ERROR_INVALID_ARGUMENT);
  ErrorPtr null_sb(hl_call(nullptr, "Add", nullptr, 0, nullptr));
  EXPECT_EQ(hl_error_code(null_sb.get()), HL_ERROR_INVALID_ARGUMENT);
  expect_still_usable(sb.get());
}

TEST(Errors, GuestReturnedErrorDoesNotPoison) {
  SandboxPtr sb = new_sandbox();
  hl_val_t arg = str("invalid order id");
  std::string msg = expect_call_error(sb.get(), "FailWithMessage", &arg, 1, HL_ERROR_GUEST_ERROR);
  EXPECT_TRUE(contains(msg, "invalid order id")) << msg;
  expect_still_usable(sb.get());
}

TEST(Errors, GuestAbortPoisons) {
  SandboxPtr sb = new_sandbox();
  hl_val_t arg = i32(77);
  std::string msg = expect_call_error(sb.get(), "Abort", &arg, 1, HL_ERROR_GUEST_ABORTED);
  EXPECT_TRUE(contains(msg, "77")) << msg;
  EXPECT_TRUE(contains(msg, "abort requested by the test")) << msg;
  expect_poisoned(sb.get());
}

TEST(Errors, UndefinedInstructionIsAGuestException) {
  SandboxPtr sb = new_sandbox();
  std::string msg = expect_call_error(sb.get(), "UndefinedInstruction", nullptr, 0, HL_ERROR_GUEST_EXCEPTION);
  EXPECT_TRUE(contains(msg, "InvalidOpcode")) << msg;
  EXPECT_TRUE(contains(msg, "UndefinedInstruction")) << msg;
  expect_poisoned(sb.get());
}

TEST(Errors, NullReadIsAnAccessViolationAtZero) {
  SandboxPtr sb = new_sandbox();
  hl_val_t arg = i64(0);
  std::string msg = expect_call_error(sb.get(), "ReadAddress", &arg, 1, HL_ERROR_MEMORY_ACCESS_VIOLATION);
  EXPECT_TRUE(contains(msg, "READ at 0x0, the null page")) << msg;
  expect_poisoned(sb.get());
}

TEST(Errors, GuestCannotReadItsPageTables) {
  SandboxPtr sb = new_sandbox();
  hl_val_t arg = i64(0x1000);  // the PML4: supervisor-only
  std::string msg = expect_call_error(sb.get(), "ReadAddress", &arg, 1, HL_ERROR_MEMORY_ACCESS_VIOLATION);
  EXPECT_TRUE(contains(msg, "READ at 0x1000, region 'page tables' (flags R-- supervisor)")) << msg;
}

TEST(Errors, GuestCannotWriteOutsideItsMemory) {
  SandboxPtr sb = new_sandbox();
  hl_val_t arg = i64(1ll << 40);
  std::string msg = expect_call_error(sb.get(), "WriteAddress", &arg, 1, HL_ERROR_MEMORY_ACCESS_VIOLATION);
  EXPECT_TRUE(contains(msg, "WRITE at 0x10000000000, unmapped memory past the end")) << msg;
}

TEST(Errors, ClosedPortIsAGeneralProtectionFault) {
  SandboxPtr sb = new_sandbox();
  std::string msg = expect_call_error(sb.get(), "OutToClosedPort", nullptr, 0, HL_ERROR_GUEST_EXCEPTION);
  EXPECT_TRUE(contains(msg, "GeneralProtectionFault")) << msg;
}

// HostEcho(string) -> string, answering with its argument twice over.
hl_error_t *host_echo_twice(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  std::string twice(args[0].of.string.ptr, args[0].of.string.len);
  twice += twice;
  return hl_val_set_string(result, twice.data(), twice.size());
}

SandboxPtr sandbox_with_echo_twice(uint64_t input_buffer_size) {
  ConfigPtr cfg(hl_config_new());
  ErrorPtr set(hl_config_set_input_buffer_size(cfg.get(), input_buffer_size));
  EXPECT_FALSE(set) << describe(set);
  SandboxPtr sb = new_sandbox(cfg.get());
  const hl_val_kind_t params[] = {HL_VAL_STRING};
  ErrorPtr reg(hl_register(sb.get(), "HostEcho", params, 1, HL_VAL_STRING, host_echo_twice, nullptr, nullptr));
  EXPECT_FALSE(reg) << describe(reg);
  return sb;
}

// The text that makes EchoViaHost's CALL (header 8, name 4 + 11 + 1, nargs 1,
// string 1 + 4 + len + 1) leave exactly `free` bytes of the input buffer.
std::string text_leaving(uint64_t input_buffer_size, size_t free) {
  return std::string(input_buffer_size - free - 31, 'x');
}

TEST(Errors, HostResultTooLargeForTheInputBufferReachesTheGuest) {
  // 5160 bytes free, and 40, the fewest that still hold an error: the guest
  // is told, passes it on, and the sandbox stays usable.
  for (size_t free : {size_t{5160}, size_t{40}}) {
    SandboxPtr sb = sandbox_with_echo_twice(8192);
    std::string text = text_leaving(8192, free);
    hl_val_t arg = str(text);
    std::string msg = expect_call_error(sb.get(), "EchoViaHost", &arg, 1, HL_ERROR_TOO_LARGE);
    EXPECT_TRUE(contains(msg, "host function result")) << msg;  // cut to half the free space
    if (free > 1000) {
      EXPECT_TRUE(contains(msg, "needs 6016 bytes but only 5160 are free in the input buffer")) << msg;
      EXPECT_TRUE(contains(msg, "hl_config_set_input_buffer_size")) << msg;
    }
    expect_still_usable(sb.get());
  }
}

TEST(Errors, HostReplyWithNoRoomLeftPoisonsWithTooLarge) {
  // Under 40 bytes free: too few even for an error, so the guest cannot be told.
  for (size_t free : {size_t{32}, size_t{0}}) {
    SandboxPtr sb = sandbox_with_echo_twice(8192);
    std::string text = text_leaving(8192, free);
    hl_val_t arg = str(text);
    std::string msg = expect_call_error(sb.get(), "EchoViaHost", &arg, 1, HL_ERROR_TOO_LARGE);
    EXPECT_TRUE(contains(msg, "only " + std::to_string(free) + " bytes of the 8192-byte input buffer")) << msg;
    EXPECT_TRUE(contains(msg, "hl_config_set_input_buffer_size")) << msg;
    expect_poisoned(sb.get());
  }
}

TEST(Errors, MissingGuestFileIsIo) {
  hl_sandbox_t *sb = reinterpret_cast<hl_sandbox_t *>(0x1);
  ErrorPtr err(hl_sandbox_new(nullptr, "/nonexistent/guest.elf", &sb));
  ASSERT_TRUE(err);
  EXPECT_EQ(sb, nullptr);
  EXPECT_EQ(hl_error_code(err.get()), HL_ERROR_IO);
  EXPECT_TRUE(contains(hl_error_message(err.get()), "/nonexistent/guest.elf")) << hl_error_message(err.get());
}

TEST(Errors, GarbageGuestIsInvalidElf) {
  std::vector<uint8_t> junk(8192, 0x90);
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new_from_memory(nullptr, junk.data(), junk.size(), &sb));
  ASSERT_TRUE(err);
  EXPECT_EQ(sb, nullptr);
  EXPECT_EQ(hl_error_code(err.get()), HL_ERROR_INVALID_ELF);
  EXPECT_TRUE(contains(hl_error_message(err.get()), "<memory>")) << hl_error_message(err.get());
}

struct FinalizeCounter {
  int calls = 0;
};
void count_finalize(void *p) { static_cast<FinalizeCounter *>(p)->calls++; }

TEST(Errors, FinalizerRunsExactlyOnce) {
  FinalizeCounter kept, duplicate, invalid;
  {
    SandboxPtr sb = new_sandbox();
    const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
    ErrorPtr ok(hl_register(sb.get(), "HostAdd", params, 2, HL_VAL_I32, host_add, &kept, count_finalize));
    ASSERT_FALSE(ok);
    ErrorPtr dup(hl_register(sb.get(), "HostAdd", params, 2, HL_VAL_I32, host_add, &duplicate, count_finalize));
    ASSERT_TRUE(dup);
    EXPECT_EQ(hl_error_code(dup.get()), HL_ERROR_ALREADY_REGISTERED);
    EXPECT_EQ(duplicate.calls, 1) << "a refused registration finalizes at once";
    ErrorPtr bad(hl_register(sb.get(), "Bad", params, 2, 99, host_add, &invalid, count_finalize));
    ASSERT_TRUE(bad);
    EXPECT_EQ(hl_error_code(bad.get()), HL_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(invalid.calls, 1);
    EXPECT_EQ(kept.calls, 0);
  }
  EXPECT_EQ(kept.calls, 1) << "deleting the sandbox finalizes";
  EXPECT_EQ(duplicate.calls, 1);
}

hl_error_t *reentering_host_add(void *user_data, const hl_val_t *, size_t, hl_val_t *result) {
  auto *sb = static_cast<hl_sandbox_t *>(user_data);
  hl_val_t args[] = {i32(1), i32(2)};
  hl_error_t *inner = hl_call(sb, "Add", args, 2, nullptr);
  result->kind = HL_VAL_I32;
  result->of.i32 = static_cast<int32_t>(hl_error_code(inner));
  hl_error_delete(inner);
  return nullptr;
}

TEST(Errors, ReentryFromAHostFunctionIsBusy) {
  SandboxPtr sb = new_sandbox();
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  ErrorPtr reg(hl_register(sb.get(), "HostAdd", params, 2, HL_VAL_I32, reentering_host_add, sb.get(), nullptr));
  ASSERT_FALSE(reg);
  hl_val_t args[] = {i32(0), i32(0)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "AddViaHost", args, 2, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, static_cast<int32_t>(HL_ERROR_BUSY));
}

// Every error message starts with the entry point the user called, also
// when an inner layer names another (hl_call's checks reached through
// hl_call_with_timeout) or none (a guest's own failure).
TEST(Errors, MessagesNameTheEntryPointCalled) {
  SandboxPtr sb = new_sandbox();
  hl_val_t bad_bool{};
  bad_bool.kind = HL_VAL_BOOL;
  bad_bool.of.boolean = 7;
  Result r;
  ErrorPtr via_timeout(hl_call_with_timeout(sb.get(), "Add", &bad_bool, 1, &r.val, 1'000'000'000));
  ASSERT_TRUE(via_timeout);
  EXPECT_EQ(std::string(hl_error_message(via_timeout.get())).rfind("hl_call_with_timeout('Add')", 0), 0u)
      << describe(via_timeout);
  ErrorPtr missing(hl_call(sb.get(), "NoSuchFunction", nullptr, 0, &r.val));
  ASSERT_TRUE(missing);
  EXPECT_EQ(std::string(hl_error_message(missing.get())).rfind("hl_call: ", 0), 0u) << describe(missing);
  hl_sandbox_t *out = nullptr;
  ErrorPtr no_file(hl_sandbox_new(nullptr, "/nonexistent/guest.elf", &out));
  ASSERT_TRUE(no_file);
  EXPECT_EQ(std::string(hl_error_message(no_file.get())).rfind("hl_sandbox_new: ", 0), 0u) << describe(no_file);
}

}  // namespace
