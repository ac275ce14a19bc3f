#include <gtest/gtest.h>

#include "common/error.h"
#include "kvm/kvm_system.h"
#include "mem/guest_memory.h"
#include "sandbox/config.h"

namespace {

using hl::mem::GuestMemory;

TEST(GuestMemory, TranslateChecksEveryEdge) {
  GuestMemory m(16 * 4096);
  EXPECT_EQ(m.translate(0, 0), m.host_base());
  EXPECT_EQ(m.translate(m.size(), 0), m.host_base() + m.size()) << "empty range at the end";
  EXPECT_NE(m.translate(m.size() - 8, 8), nullptr);
  EXPECT_EQ(m.translate(m.size() - 8, 9), nullptr) << "one byte past the end";
  EXPECT_EQ(m.translate(m.size() + 1, 0), nullptr);
  EXPECT_EQ(m.translate(8, UINT64_MAX), nullptr) << "length wraps around";
  EXPECT_EQ(m.translate(UINT64_MAX, 2), nullptr) << "address wraps around";
  EXPECT_THROW(m.span(m.size(), 1), hl::Error);
}

TEST(GuestMemory, IsZeroedAndWritable) {
  GuestMemory m(4096);
  EXPECT_EQ(m.host_base()[100], 0);
  m.host_base()[100] = 7;
  EXPECT_EQ(m.translate(100, 1)[0], 7);
}

TEST(KvmSystem, MissingDeviceIsNoHypervisor) {
  try {
    hl::kvm::KvmSystem::open("/nonexistent/kvm");
    FAIL() << "opened a missing device";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kNoHypervisor);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/kvm"), std::string::npos) << e.what();
  }
}

TEST(KvmSystem, NonKvmDeviceIsNoHypervisor) {
  try {
    hl::kvm::KvmSystem::open("/dev/null");
    FAIL() << "accepted /dev/null";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kNoHypervisor);
  }
}

TEST(SandboxConfig, ValidatesAndRoundsSizes) {
  hl::SandboxConfig c;
  c.set_heap_size(100000);
  EXPECT_EQ(c.heap_size, 102400u);
  EXPECT_THROW(c.set_heap_size(1), hl::Error);
  EXPECT_THROW(c.set_heap_size((1ull << 30) + 1), hl::Error);
  EXPECT_THROW(c.set_stack_size(0), hl::Error);
  try {
    c.set_stack_size(1ull << 40);
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("hl_config_set_stack_size"), std::string::npos);
  }
}

}  // namespace
