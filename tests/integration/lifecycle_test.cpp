// Interrupts, and creating/deleting sandboxes without leaking descriptors.
#include <dirent.h>

#include <chrono>
#include <thread>

#include "test_support.h"

namespace {

int open_fd_count() {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  while (readdir(d) != nullptr) n++;
  closedir(d);
  return n;
}

TEST(Lifecycle, KillStopsASpinningGuest) {
  SandboxPtr sb = new_sandbox();
  hl_interrupt_handle_t *raw = nullptr;
  ErrorPtr herr(hl_sandbox_interrupt_handle(sb.get(), &raw));
  ASSERT_FALSE(herr);
  HandlePtr handle(raw);

  std::atomic<hl_kill_result_t> kill_result{HL_KILL_NOT_RUNNING};
  std::thread killer([&] {
    // Keep trying until the call is running (it may not have started yet).
    for (int i = 0; i < 2000; i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      hl_kill_result_t r = hl_kill(handle.get());
      if (r == HL_KILL_INTERRUPTED) {
        kill_result = r;
        return;
      }
    }
  });
  auto start = std::chrono::steady_clock::now();
  std::string msg = expect_call_error(sb.get(), "Spin", nullptr, 0, HL_ERROR_CANCELLED);
  killer.join();
  EXPECT_EQ(kill_result.load(), HL_KILL_INTERRUPTED);
  EXPECT_NE(msg.find("Spin"), std::string::npos) << msg;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  hl_val_t args[] = {i32(1), i32(2)};
  expect_call_error(sb.get(), "Add", args, 2, HL_ERROR_POISONED);
}

TEST(Lifecycle, KillWithoutARunningCallCancelsNothing) {
  SandboxPtr sb = new_sandbox();
  hl_interrupt_handle_t *raw = nullptr;
  ErrorPtr herr(hl_sandbox_interrupt_handle(sb.get(), &raw));
  HandlePtr handle(raw);
  EXPECT_EQ(hl_kill(handle.get()), HL_KILL_NOT_RUNNING);
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Add", args, 2, &r.val));
  EXPECT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 3);
}

TEST(Lifecycle, KillAfterDeleteSaysSandboxGone) {
  SandboxPtr sb = new_sandbox();
  hl_interrupt_handle_t *raw = nullptr;
  ErrorPtr herr(hl_sandbox_interrupt_handle(sb.get(), &raw));
  HandlePtr handle(raw);
  sb.reset();
  EXPECT_EQ(hl_kill(handle.get()), HL_KILL_SANDBOX_GONE);
  EXPECT_EQ(hl_kill(nullptr), HL_KILL_SANDBOX_GONE);
}

// The VM pool tears down deleted sandboxes' VMs on its own thread: wait
// for it to catch up before counting.
int settled_fd_count(int expected) {
  int count = open_fd_count();
  for (int i = 0; i < 500 && count != expected; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    count = open_fd_count();
  }
  return count;
}

TEST(Lifecycle, TwoHundredSandboxesLeakNoDescriptors) {
  // An engine of its own without a pool: pooled VMs would hold descriptors on purpose.
  EngineConfigPtr engine_config(hl_engine_config_new());
  ASSERT_FALSE(ErrorPtr(hl_engine_config_set_vm_pool_size(engine_config.get(), 0)));
  hl_engine_t *raw_engine = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_engine_new(engine_config.get(), &raw_engine)));
  EnginePtr engine(raw_engine);
  ConfigPtr config(hl_config_new());
  ASSERT_FALSE(ErrorPtr(hl_config_set_engine(config.get(), engine.get())));
  { SandboxPtr warmup = new_sandbox(config.get()); }  // starts the engine's pool thread
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int before = open_fd_count();
  for (int i = 0; i < 200; i++) {
    SandboxPtr sb = new_sandbox(config.get());
    ASSERT_TRUE(sb);
    hl_interrupt_handle_t *raw = nullptr;
    ErrorPtr herr(hl_sandbox_interrupt_handle(sb.get(), &raw));
    HandlePtr handle(raw);
    if (i % 50 == 0) {
      hl_val_t args[] = {i32(i), i32(1)};
      Result r;
      ErrorPtr err(hl_call(sb.get(), "Add", args, 2, &r.val));
      ASSERT_FALSE(err) << describe(err);
    }
  }
  EXPECT_EQ(settled_fd_count(before), before);
}

}  // namespace
