// A vCPU's KVM dirty ring: the guest-physical pages the guest wrote, pushed
// by KVM as they are first written after being write-protected.
//
// Reading it costs no ioctl (it is shared memory), which is why restores
// use it rather than KVM_GET_DIRTY_LOG (~4.5 us per slot here). A harvested
// entry stays writable in KVM until Vm::reset_dirty_rings(), so pages
// written again before that are not pushed again: the caller keeps every
// harvested page in its own set until it resets.
#pragma once

#include <linux/kvm.h>

#include <atomic>
#include <cstdint>

#include "common/unique_mapping.h"

namespace hl::kvm {

class DirtyRing {
 public:
  DirtyRing() = default;
  DirtyRing(UniqueMapping entries, uint32_t count) : entries_(std::move(entries)), count_(count) {}

  // Calls on_page(slot, page_offset_in_slot) for each new entry and marks it
  // harvested.
  template <typename F>
  void harvest(F &&on_page) {
    auto *ring = reinterpret_cast<kvm_dirty_gfn *>(entries_.data());
    while (count_ != 0) {
      kvm_dirty_gfn &e = ring[next_ & (count_ - 1)];
      if ((__atomic_load_n(&e.flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY) == 0) break;
      on_page(e.slot & 0xffff, e.offset);
      __atomic_store_n(&e.flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
      next_++;
    }
  }

 private:
  UniqueMapping entries_;
  uint32_t count_ = 0;
  uint32_t next_ = 0;  // the next entry to read; KVM's and ours grow together
};

}  // namespace hl::kvm
