// A handle on /dev/kvm, checked for the capabilities hyperlight needs, and
// the factory for VMs. Each engine opens one.
#pragma once

#include <memory>

#include "common/unique_fd.h"
#include "kvm/kvm_abi.h"
#include "kvm/vm.h"

namespace hl::kvm {

class KvmSystem {
 public:
  // Opens device_path (/dev/kvm; an engine opens its own). Throws Error
  // with HL_ERROR_NO_HYPERVISOR, naming the reason, if KVM is unusable.
  static std::shared_ptr<const KvmSystem> open(const char *device_path);

  Vm create_vm() const;
  // A VM with its vCPU (CPUID set, dirty ring on when KVM offers one) and
  // no memory slots yet.
  Machine create_machine() const;
  // Entries per vCPU dirty ring; 0 when KVM has none (restores then copy
  // all of a sandbox's populated memory).
  uint32_t dirty_ring_entries() const { return dirty_ring_entries_; }
  size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }
  // Supported CPUID with VMX/SVM hidden, ready for KVM_SET_CPUID2.
  const CpuidTable &guest_cpuid() const { return cpuid_; }
  // The guest's CPUID offers UMIP, so its CR4 may set it.
  bool offers_umip() const { return offers_umip_; }

 private:
  KvmSystem() = default;
  UniqueFd fd_;
  size_t vcpu_mmap_size_ = 0;
  CpuidTable cpuid_{};
  uint32_t dirty_ring_entries_ = 0;
  bool offers_umip_ = false;
};

}  // namespace hl::kvm
