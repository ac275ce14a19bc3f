// The init-data blob and the guest counter.
#include <atomic>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

SandboxPtr sandbox_with_init_data(const std::vector<uint8_t> &data, uint32_t flags) {
  ConfigPtr cfg(hl_config_new());
  ErrorPtr err(hl_config_set_init_data(cfg.get(), data.data(), data.size(), flags));
  EXPECT_FALSE(err) << describe(err);
  return new_sandbox(cfg.get());
}

std::vector<uint8_t> call_bytes(hl_sandbox_t *sb, const char *fn) {
  Result r;
  ErrorPtr err(hl_call(sb, fn, nullptr, 0, &r.val));
  EXPECT_FALSE(err) << describe(err);
  if (err || r.val.kind != HL_VAL_BYTES) return {};
  return {r.val.of.bytes.ptr, r.val.of.bytes.ptr + r.val.of.bytes.len};
}

TEST(InitData, GuestReadsTheBlob) {
  std::vector<uint8_t> data(10000);
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<uint8_t>(i * 7);
  SandboxPtr sb = sandbox_with_init_data(data, 0);
  EXPECT_EQ(call_bytes(sb.get(), "GetInitData"), data);
}

TEST(InitData, NoBlobMeansEmpty) {
  SandboxPtr sb = new_sandbox();
  EXPECT_TRUE(call_bytes(sb.get(), "GetInitData").empty());
}

TEST(InitData, ReadOnlyByDefault) {
  SandboxPtr sb = sandbox_with_init_data({1, 2, 3}, 0);
  std::string msg = expect_call_error(sb.get(), "WriteInitData", nullptr, 0, HL_ERROR_MEMORY_ACCESS_VIOLATION);
  EXPECT_NE(msg.find("region 'init data' (flags R-- user)"), std::string::npos) << msg;
}

TEST(InitData, WritableWhenAsked) {
  SandboxPtr sb = sandbox_with_init_data({1, 2, 3}, HL_MAP_READ | HL_MAP_WRITE);
  Result r;
  ErrorPtr err(hl_call(sb.get(), "WriteInitData", nullptr, 0, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 0xEE);
}

TEST(InitData, BadArgumentsAreRefused) {
  ConfigPtr cfg(hl_config_new());
  ErrorPtr e1(hl_config_set_init_data(cfg.get(), nullptr, 5, 0));
  ASSERT_TRUE(e1);
  EXPECT_EQ(hl_error_code(e1.get()), HL_ERROR_INVALID_ARGUMENT);
  uint8_t b = 0;
  ErrorPtr e2(hl_config_set_init_data(cfg.get(), &b, 1, 0x80));
  ASSERT_TRUE(e2);
  EXPECT_EQ(hl_error_code(e2.get()), HL_ERROR_INVALID_ARGUMENT);
}

// W^X: init data may be writable or executable, never both, or a guest
// could write code there and run it.
TEST(InitData, WritableAndExecutableTogetherAreRefused) {
  ConfigPtr cfg(hl_config_new());
  uint8_t b = 0xC3;
  for (uint32_t flags :
       {uint32_t{HL_MAP_WRITE | HL_MAP_EXECUTE}, uint32_t{HL_MAP_READ | HL_MAP_WRITE | HL_MAP_EXECUTE}}) {
    ErrorPtr err(hl_config_set_init_data(cfg.get(), &b, 1, flags));
    ASSERT_TRUE(err) << "flags 0x" << std::hex << flags << " accepted";
    EXPECT_EQ(hl_error_code(err.get()), HL_ERROR_INVALID_ARGUMENT);
    std::string msg = hl_error_message(err.get());
    EXPECT_NE(msg.find("hl_config_set_init_data"), std::string::npos) << msg;
    EXPECT_NE(msg.find("HL_MAP_WRITE"), std::string::npos) << msg;
    EXPECT_NE(msg.find("HL_MAP_EXECUTE"), std::string::npos) << msg;
    EXPECT_NE(msg.find("never both"), std::string::npos) << msg;
  }
  // Either one alone is fine.
  ErrorPtr w(hl_config_set_init_data(cfg.get(), &b, 1, HL_MAP_READ | HL_MAP_WRITE));
  EXPECT_FALSE(w) << describe(w);
  ErrorPtr x(hl_config_set_init_data(cfg.get(), &b, 1, HL_MAP_READ | HL_MAP_EXECUTE));
  EXPECT_FALSE(x) << describe(x);
}

int64_t guest_counter(hl_sandbox_t *sb) {
  Result r;
  ErrorPtr err(hl_call(sb, "ReadCounter", nullptr, 0, &r.val));
  EXPECT_FALSE(err) << describe(err);
  return r.val.of.i64;
}

TEST(GuestCounter, HostChangesItGuestSeesIt) {
  SandboxPtr sb = new_sandbox();
  EXPECT_EQ(hl_sandbox_counter_value(sb.get()), 0u);
  EXPECT_EQ(guest_counter(sb.get()), 0);
  uint64_t v = 0;
  for (int i = 0; i < 5; i++) ASSERT_FALSE(ErrorPtr(hl_sandbox_counter_increment(sb.get(), &v)));
  EXPECT_EQ(v, 5u);
  ASSERT_FALSE(ErrorPtr(hl_sandbox_counter_decrement(sb.get(), &v)));
  EXPECT_EQ(v, 4u);
  EXPECT_EQ(hl_sandbox_counter_value(sb.get()), 4u);
  EXPECT_EQ(guest_counter(sb.get()), 4);
}

TEST(GuestCounter, UnderflowIsAnErrorAndChangesNothing) {
  SandboxPtr sb = new_sandbox();
  ErrorPtr err(hl_sandbox_counter_decrement(sb.get(), nullptr));
  ASSERT_TRUE(err);
  EXPECT_EQ(hl_error_code(err.get()), HL_ERROR_OUT_OF_RANGE);
  EXPECT_EQ(hl_sandbox_counter_value(sb.get()), 0u);
}

// The counter lives in the PEB, which the guest can only read: the hostile
// guest's WritePeb attack (hostile_guest_test.cpp) shows writes fault.

TEST(GuestCounter, ConcurrentStepsFromManyThreads) {
  SandboxPtr sb = new_sandbox();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; i++) hl_error_delete(hl_sandbox_counter_increment(sb.get(), nullptr));
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(hl_sandbox_counter_value(sb.get()), 4000u);
  EXPECT_EQ(guest_counter(sb.get()), 4000) << "the guest sees the final value";
}

}  // namespace
