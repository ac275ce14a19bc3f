#include "kvm/vm_pool.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "common/error.h"
#include "kvm/kvm_system.h"

namespace hl::kvm {
namespace {

struct Returned {
  Machine machine;
  std::vector<uint32_t> slots;
};

}  // namespace

struct VmPool::Impl {
  mutable std::mutex mu;
  std::condition_variable wake;
  uint32_t target = kDefaultSize;
  bool thread_started = false;
  std::deque<Machine> ready;
  std::deque<Returned> returned;
  std::optional<VcpuState> fresh_state;  // a new vCPU's registers: what scrubbing writes
  // The pool's own reference: its thread may still be working while the
  // process exits and KvmSystem::instance()'s static is destroyed.
  std::shared_ptr<const KvmSystem> kvm;

  void start_thread_locked() {
    if (thread_started || kvm == nullptr) return;
    thread_started = true;
    std::thread([this] { run(); }).detach();
  }

  // Leaves no trace of the last sandbox: its dirty-ring entries, its memory
  // slots, its registers. Throws if KVM refuses; the machine is then destroyed.
  void scrub(Returned &r) {
    r.machine.vcpu.dirty_ring().harvest([](uint32_t, uint64_t) {});
    r.machine.vm.reset_dirty_rings();
    for (uint32_t slot : r.slots) r.machine.vm.set_memory_slot(slot, 0, 0, nullptr, 0);
    r.machine.vcpu.restore_all_state(*fresh_state);
    kvm_run *run = r.machine.vcpu.run_state();
    run->immediate_exit = 0;
    run->kvm_dirty_regs = 0;
  }

  void run() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return !returned.empty() || ready.size() < target; });
      if (!returned.empty()) {
        Returned r = std::move(returned.front());
        returned.pop_front();
        bool keep = ready.size() < target && fresh_state.has_value();
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
        if (keep) {
          std::optional<Machine> scrubbed(std::move(r.machine));
          keep_or_destroy(lock, scrubbed);
        }
        continue;
      }
      lock.unlock();
      std::optional<Machine> made;
      try {
        made.emplace(kvm->create_machine());
        if (!fresh_state.has_value()) fresh_state = made->vcpu.capture_state();
      } catch (...) {
        // KVM refused (out of memory, fd limit): try again later rather than spin.
        made.reset();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      lock.lock();
      keep_or_destroy(lock, made);
    }
  }

  // Under the lock, with a machine made or scrubbed while it was released:
  // keeps it if the pool still has room. The target may have been lowered
  // meanwhile (hl_set_vm_pool_size(0) while a VM was being made): then it
  // is destroyed, off the lock, rather than kept beyond the target forever.
  void keep_or_destroy(std::unique_lock<std::mutex> &lock, std::optional<Machine> &machine) {
    if (!machine.has_value()) return;
    if (ready.size() < target) {
      ready.push_back(std::move(*machine));
      machine.reset();
      return;
    }
    lock.unlock();
    machine.reset();
    lock.lock();
  }

  size_t ready_count() const {
    std::lock_guard<std::mutex> lock(mu);
    return ready.size();
  }
};

VmPool &VmPool::instance() {
  // Never destroyed: its thread may still be working when the process exits.
  static VmPool *pool = new VmPool();
  return *pool;
}

VmPool::Impl &VmPool::impl() const {
  static Impl *impl = new Impl();
  return *impl;
}

Machine VmPool::take() {
  Impl &p = impl();
  std::shared_ptr<const KvmSystem> kvm = KvmSystem::instance();  // throws NO_HYPERVISOR
  {
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.kvm == nullptr) p.kvm = kvm;
    p.start_thread_locked();
    if (!p.ready.empty()) {
      Machine m = std::move(p.ready.front());
      p.ready.pop_front();
      p.wake.notify_one();
      return m;
    }
    p.wake.notify_one();
  }
  return kvm->create_machine();
}

void VmPool::give_back(Machine machine, std::vector<uint32_t> memory_slots) noexcept {
  Impl &p = impl();
  try {
    std::lock_guard<std::mutex> lock(p.mu);
    p.start_thread_locked();
    p.returned.push_back(Returned{std::move(machine), std::move(memory_slots)});
    p.wake.notify_one();
  } catch (...) {
    // Out of memory queueing it: the machine is destroyed here instead.
  }
}

size_t VmPool::ready_count() const { return impl().ready_count(); }

void VmPool::set_target_size(uint32_t size) {
  if (size > kMaxSize) throw Error(HL_ERROR_INVALID_ARGUMENT, format("VM pool size %u is above %u", size, kMaxSize));
  Impl &p = impl();
  std::deque<Machine> surplus;
  std::lock_guard<std::mutex> lock(p.mu);
  p.target = size;
  while (p.ready.size() > size) {
    surplus.push_back(std::move(p.ready.back()));
    p.ready.pop_back();
  }
  if (size > 0) p.start_thread_locked();
  p.wake.notify_one();
}

}  // namespace hl::kvm
