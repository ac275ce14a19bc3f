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

  // Maps host memory [host_addr, +size) at guest-physical guest_addr.
  void set_memory_slot(uint32_t slot, uint64_t guest_addr, uint64_t size, void *host_addr, uint32_t flags) const;
  Vcpu create_vcpu(const CpuidTable &cpuid) const;

 private:
  UniqueFd fd_;
  size_t vcpu_mmap_size_;
};

}  // namespace hl::kvm
