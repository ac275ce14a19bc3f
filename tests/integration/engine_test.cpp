// Engines (hl_engine_t): each owns its VM pool, timer, spares and interrupt
// signal; engines with different settings live side by side; deleting the
// last reference to one joins its threads.
#include <dirent.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "test_support.h"

namespace {

struct SnapshotDeleter {
  void operator()(hl_snapshot_t *s) const { hl_snapshot_delete(s); }
};
using SnapshotPtr = std::unique_ptr<hl_snapshot_t, SnapshotDeleter>;

// The library's threads, which it names "hl-..." (VM pool, deadline timer,
// spare builder). Only they are counted: KVM also adds kernel worker tasks
// to the process per VM, which leave some time after the VM is closed.
int library_thread_count() {
  int n = 0;
  if (DIR *d = opendir("/proc/self/task")) {
    while (dirent *e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
      std::string name;
      std::getline(comm, name);
      n += name.rfind("hl-", 0) == 0 ? 1 : 0;
    }
    closedir(d);
  }
  return n;
}

EnginePtr new_engine(uint32_t pool_size, uint32_t signal_offset) {
  EngineConfigPtr cfg(hl_engine_config_new());
  EXPECT_FALSE(ErrorPtr(hl_engine_config_set_vm_pool_size(cfg.get(), pool_size)));
  EXPECT_FALSE(ErrorPtr(hl_engine_config_set_interrupt_signal_offset(cfg.get(), signal_offset)));
  hl_engine_t *raw = nullptr;
  ErrorPtr err(hl_engine_new(cfg.get(), &raw));
  EXPECT_FALSE(err) << describe(err);
  return EnginePtr(raw);
}

ConfigPtr config_for(hl_engine_t *engine) {
  ConfigPtr cfg(hl_config_new());
  EXPECT_FALSE(ErrorPtr(hl_config_set_engine(cfg.get(), engine)));
  return cfg;
}

// Spins in the guest until killed from another thread through the engine's signal.
void expect_killable(hl_sandbox_t *sb) {
  hl_interrupt_handle_t *raw = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_sandbox_interrupt_handle(sb, &raw)));
  HandlePtr handle(raw);
  std::thread killer([&] {
    for (int i = 0; i < 2000 && hl_kill(handle.get()) != HL_KILL_INTERRUPTED; i++)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  });
  ErrorPtr err(hl_call(sb, "Spin", nullptr, 0, nullptr));
  killer.join();
  EXPECT_EQ(code_of(err), HL_ERROR_CANCELLED) << describe(err);
}

TEST(Engines, TwoEnginesWithOwnPoolsAndSignalsInOneProcess) {
  EnginePtr a = new_engine(1, 6);
  EnginePtr b = new_engine(3, 7);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(hl_engine_interrupt_signal(a.get()), SIGRTMIN + 6);
  EXPECT_EQ(hl_engine_interrupt_signal(b.get()), SIGRTMIN + 7);
  ConfigPtr ca = config_for(a.get()), cb = config_for(b.get());
  SandboxPtr sa = new_sandbox(ca.get()), sb = new_sandbox(cb.get()), sd = new_sandbox();
  ASSERT_TRUE(sa && sb && sd);
  expect_killable(sa.get());
  expect_killable(sb.get());
  expect_killable(sd.get());  // the default engine's signal
  // Each engine's sandboxes from a snapshot are its own, whichever engine took the snapshot.
  SandboxPtr source = new_sandbox(ca.get());
  hl_snapshot_t *raw = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_sandbox_snapshot(source.get(), &raw)));
  SnapshotPtr snap(raw);
  for (hl_config_t *cfg : {ca.get(), cb.get()}) {
    hl_sandbox_t *out = nullptr;
    ErrorPtr err(hl_sandbox_new_from_snapshot(snap.get(), cfg, &out));
    ASSERT_FALSE(err) << describe(err);
    SandboxPtr from(out);
    hl_val_t args[] = {i32(40), i32(2)};
    Result r;
    EXPECT_FALSE(ErrorPtr(hl_call(from.get(), "Add", args, 2, &r.val)));
    EXPECT_EQ(r.val.of.i32, 42);
    expect_killable(from.get());
  }
}

TEST(Engines, BadSettingsAreRefused) {
  EngineConfigPtr cfg(hl_engine_config_new());
  EXPECT_EQ(code_of(ErrorPtr(hl_engine_config_set_vm_pool_size(cfg.get(), 65))), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(ErrorPtr(hl_engine_config_set_vm_pool_size(nullptr, 1))), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(ErrorPtr(hl_engine_new(cfg.get(), nullptr))), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(ErrorPtr(hl_config_set_engine(nullptr, nullptr))), HL_ERROR_INVALID_ARGUMENT);
  hl_engine_delete(nullptr);
  hl_engine_config_delete(nullptr);
  hl_engine_t *defaults = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_engine_new(nullptr, &defaults)));  // NULL config: defaults
  EXPECT_EQ(hl_engine_interrupt_signal(defaults), SIGRTMIN + 5);
  hl_engine_delete(defaults);
}

// Every thread an engine starts (VM pool, deadline timer, spare builder)
// is joined when its last reference goes, wherever that is.
TEST(Engines, DeletingTheLastReferenceLeavesNoThreadBehind) {
  const int before = library_thread_count();
  {
    EnginePtr engine = new_engine(2, 5);
    ConfigPtr cfg = config_for(engine.get());
    SandboxPtr sb = new_sandbox(cfg.get());
    ASSERT_TRUE(sb);
    hl_val_t args[] = {i32(1), i32(2)};
    Result r;
    ASSERT_FALSE(ErrorPtr(hl_call_with_timeout(sb.get(), "Add", args, 2, &r.val, 1'000'000'000)));  // the timer
    hl_snapshot_t *raw = nullptr;
    ASSERT_FALSE(ErrorPtr(hl_sandbox_snapshot(sb.get(), &raw)));
    SnapshotPtr snap(raw);
    hl_sandbox_t *out = nullptr;
    ASSERT_FALSE(ErrorPtr(hl_sandbox_new_from_snapshot(snap.get(), cfg.get(), &out)));  // the spare builder
    SandboxPtr from(out);
    EXPECT_GE(library_thread_count(), before + 3) << "pool, timer and spare builder should be running";
    // The engine handle and the config go first: the sandboxes keep the engine alive.
    engine.reset();
    cfg.reset();
    Result again;
    EXPECT_FALSE(ErrorPtr(hl_call(from.get(), "Add", args, 2, &again.val)));
    EXPECT_GT(library_thread_count(), before);
  }  // the last sandbox: its hl_sandbox_delete joins the engine's threads
  EXPECT_EQ(library_thread_count(), before);
}

}  // namespace
