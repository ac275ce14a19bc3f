// The VM pool's background thread against changes of its size
// (hl_set_vm_pool_size). Internal API: the pool's contents are not part of
// the C ABI.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "kvm/vm_pool.h"

namespace {

using hl::kvm::VmPool;

// The number of ready machines once it has stayed the same for 50 ms (the
// pool's thread makes one in about a millisecond), or after 5 s.
size_t settled_ready_count() {
  using namespace std::chrono;
  const auto give_up = steady_clock::now() + seconds(5);
  size_t count = VmPool::instance().ready_count();
  auto stable_since = steady_clock::now();
  while (steady_clock::now() - stable_since < milliseconds(50) && steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(2));
    size_t now = VmPool::instance().ready_count();
    if (now != count) {
      count = now;
      stable_since = steady_clock::now();
    }
  }
  return count;
}

// The pool's thread makes machines with the lock released. One it finished
// after the target was lowered used to be kept anyway, beyond the target
// and for good: a pool set to 0 then held a VM and its descriptors (which
// Lifecycle.TwoHundredSandboxesLeakNoDescriptors counts).
TEST(VmPool, LoweringTheTargetWhileAMachineIsBeingMadeKeepsNoneBeyondIt) {
  VmPool &pool = VmPool::instance();
  pool.give_back(pool.take(), {});  // starts the pool's thread
  for (int round = 0; round < 10; round++) {
    pool.set_target_size(2);  // the thread starts making machines...
    std::this_thread::sleep_for(std::chrono::microseconds(200 * round));
    pool.set_target_size(0);  // ...and may be in the middle of one
    EXPECT_EQ(settled_ready_count(), 0u) << "round " << round;
  }
  pool.set_target_size(VmPool::kDefaultSize);
  EXPECT_EQ(settled_ready_count(), VmPool::kDefaultSize);
}

}  // namespace
