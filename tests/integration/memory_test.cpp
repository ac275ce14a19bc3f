// Memory sizes: large guests, reserved-not-committed memory, size reporting.
#include <unistd.h>

#include <fstream>
#include <string>

#include "test_support.h"

namespace {

// Resident set size of this process in KiB (from /proc/self/status).
long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(4096, '\n');
  }
  return -1;
}

ConfigPtr config_with_heap(uint64_t heap) {
  ConfigPtr cfg(hl_config_new());
  ErrorPtr err(hl_config_set_heap_size(cfg.get(), heap));
  EXPECT_FALSE(err) << describe(err);
  return cfg;
}

TEST(Memory, OneGibHeapSandboxWorksAndReportsItsSize) {
  ConfigPtr cfg = config_with_heap(1ull << 30);
  SandboxPtr sb = new_sandbox(cfg.get());
  ASSERT_TRUE(sb);
  EXPECT_GT(hl_sandbox_memory_size(sb.get()), 1ull << 30);
  EXPECT_LT(hl_sandbox_memory_size(sb.get()), (1ull << 30) + (16ull << 20));
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Add", args, 2, &r.val));
  EXPECT_FALSE(err) << describe(err);
  EXPECT_EQ(hl_sandbox_memory_size(nullptr), 0u);
}

TEST(Memory, ThousandLargeSandboxesDoNotGrowRss) {
  ConfigPtr cfg = config_with_heap(256ull << 20);
  { SandboxPtr warmup = new_sandbox(cfg.get()); }
  long before = rss_kib();
  for (int i = 0; i < 1000; i++) {
    SandboxPtr sb = new_sandbox(cfg.get());
    ASSERT_TRUE(sb);
  }
  long growth = rss_kib() - before;
  EXPECT_LT(growth, 8 * 1024) << "RSS grew by " << growth << " KiB over 1000 sandboxes";
}

TEST(Memory, IdleSandboxCostsLittleRss) {
  ConfigPtr cfg = config_with_heap(256ull << 20);
  long before = rss_kib();
  SandboxPtr sb = new_sandbox(cfg.get());
  long cost = rss_kib() - before;
  RecordProperty("idle_sandbox_rss_kib", std::to_string(cost));
  std::printf("idle sandbox with a 256 MiB heap: %ld KiB resident in the host process\n", cost);
  EXPECT_LT(cost, 4 * 1024);
}

}  // namespace
