#include "kvm/vm_pool.h"

#include <pthread.h>

#include <chrono>

#include "common/error.h"

namespace hl::kvm {

VmPool::VmPool(std::shared_ptr<const KvmSystem> kvm, uint32_t size) : kvm_(std::move(kvm)), target_(size) {
  if (size > kMaxSize) throw Error(ErrorCode::kInvalidArgument, format("VM pool size %u is above %u", size, kMaxSize));
}

VmPool::~VmPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void VmPool::start_thread_locked() {
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "hl-vm-pool");  // named for debuggers and tests
}

// Leaves no trace of the last sandbox: its dirty-ring entries, its memory
// slots, its registers. Throws if KVM refuses; the machine is then destroyed.
void VmPool::scrub(Returned &r) {
  r.machine.vcpu.dirty_ring().harvest([](uint32_t, uint64_t) {});
  r.machine.vm.reset_dirty_rings();
  for (uint32_t slot : r.slots) r.machine.vm.set_memory_slot(slot, 0, 0, nullptr, 0);
  r.machine.vcpu.restore_all_state(*fresh_state_);
  kvm_run *run = r.machine.vcpu.run_state();
  run->immediate_exit = 0;
  run->kvm_dirty_regs = 0;
}

void VmPool::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !returned_.empty() || ready_.size() < target_; });
    if (stopping_) return;
    if (!returned_.empty()) {
      Returned r = std::move(returned_.front());
      returned_.pop_front();
      bool keep = ready_.size() < target_ && fresh_state_.has_value();
      lock.unlock();
      try {
        if (keep) scrub(r);
      } catch (...) {
        keep = false;
      }
      if (!keep) {
        Returned doomed = std::move(r);  // closes the fds here, off the caller's thread
      }
      lock.lock();
      if (keep) ready_.push_back(std::move(r.machine));
      continue;
    }
    lock.unlock();
    std::optional<Machine> made;
    std::optional<VcpuState> fresh;
    try {
      made.emplace(kvm_->create_machine());
      fresh.emplace(made->vcpu.capture_state());
    } catch (...) {
      // KVM refused (out of memory, fd limit): try again later rather than spin.
      made.reset();
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping_; });
      continue;
    }
    lock.lock();
    if (!fresh_state_.has_value()) fresh_state_ = std::move(fresh);
    ready_.push_back(std::move(*made));
  }
}

Machine VmPool::take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    start_thread_locked();
    wake_.notify_one();
    if (!ready_.empty()) {
      Machine m = std::move(ready_.front());
      ready_.pop_front();
      m.from_pool = true;
      return m;
    }
  }
  return kvm_->create_machine();
}

void VmPool::give_back(Machine machine, std::vector<uint32_t> memory_slots) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;  // the machine is destroyed on return
    start_thread_locked();
    returned_.push_back(Returned{std::move(machine), std::move(memory_slots)});
    wake_.notify_one();
  } catch (...) {
    // Out of memory queueing it, or no thread: the machine is destroyed here instead.
  }
}

}  // namespace hl::kvm
