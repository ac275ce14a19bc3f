// One KVM virtual machine (the VM fd) and its memory slots.
#pragma once

#include <cstdint>

#include "common/unique_fd.h"
#include "kvm/kvm_abi.h"
#include "kvm/vcpu.h"

namespace hl::kvm {

class Vm {
 public:
  Vm(UniqueFd fd, size_t vcpu_mmap_size) : fd_(std::move(fd)), vcpu_mmap_size_(vcpu_mmap_size) {}

  // Maps host memory [host_addr, +size) at guest-physical guest_addr; size 0
  // deletes the slot. Changing only the flags of an existing slot (same
  // address and size) is allowed, e.g. to start logging writes.
  void set_memory_slot(uint32_t slot, uint64_t guest_addr, uint64_t size, void *host_addr, uint32_t flags) const;
  // Turns on KVM's dirty ring with ring_entries (a power of two) per vCPU;
  // only before the first vCPU is created.
  void enable_dirty_ring(uint32_t ring_entries);
  Vcpu create_vcpu(const CpuidTable &cpuid) const;
  // Write-protects again every page harvested from the vCPUs' dirty rings.
  void reset_dirty_rings() const;

 private:
  UniqueFd fd_;
  size_t vcpu_mmap_size_;
  uint32_t ring_entries_ = 0;
};

// A VM with its single vCPU: what a sandbox runs on, and what the pool keeps.
struct Machine {
  Vm vm;
  Vcpu vcpu;
  bool from_pool = false;  // handed out ready by VmPool::take (for the engine's metrics)
};

}  // namespace hl::kvm
