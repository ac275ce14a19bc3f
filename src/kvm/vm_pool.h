// A pool of ready VMs (each with its vCPU, no memory), owned by an engine.
//
// Creating a VM costs ~0.85 ms here; taking one from the pool costs
// nothing. One background thread (started on first use, joined by the
// destructor) keeps the pool at its target size and takes back the
// machines of deleted sandboxes: it scrubs them (dirty ring drained and
// reset, every memory slot deleted, every vCPU register set to a fresh
// vCPU's values) before they are handed out again, or destroys them when
// the pool is full. So a machine from the pool never holds another
// sandbox's memory or registers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "kvm/kvm_system.h"
#include "kvm/vcpu_state.h"
#include "kvm/vm.h"

namespace hl::kvm {

class VmPool {
 public:
  static constexpr uint32_t kDefaultSize = 2;
  static constexpr uint32_t kMaxSize = 64;

  // size: how many ready VMs to keep (at most kMaxSize; 0 keeps none).
  VmPool(std::shared_ptr<const KvmSystem> kvm, uint32_t size);
  // Stops and joins the thread; closes every VM, ready or returned.
  ~VmPool();
  VmPool(const VmPool &) = delete;
  VmPool &operator=(const VmPool &) = delete;

  // A scrubbed machine from the pool, or a new one if none is ready.
  // Throws Error (HYPERVISOR, OUT_OF_MEMORY).
  Machine take();
  // Hands a machine back; memory_slots lists the slots it may still hold.
  // Never throws; the work happens on the pool's thread.
  void give_back(Machine machine, std::vector<uint32_t> memory_slots) noexcept;

  uint32_t size() const { return target_; }

 private:
  struct Returned {
    Machine machine;
    std::vector<uint32_t> slots;
  };
  void start_thread_locked();
  void run();
  void scrub(Returned &r);

  const std::shared_ptr<const KvmSystem> kvm_;
  const uint32_t target_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Machine> ready_;
  std::deque<Returned> returned_;
  std::optional<VcpuState> fresh_state_;  // a new vCPU's registers: what scrubbing writes
  std::thread thread_;                    // last: joined before the rest is destroyed
};

}  // namespace hl::kvm
