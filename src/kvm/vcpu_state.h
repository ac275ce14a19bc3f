// Everything a snapshot keeps of a vCPU, in KVM's own structs.
//
// A CPL3 guest can change only the general registers, RFLAGS' user bits,
// data segment selectors and the FPU/SSE state; the rest changes only
// through exceptions (which poison the sandbox) or the host. Restores use
// that split: see Vcpu::restore_user_state and Vcpu::restore_all_state.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "kvm/kvm_abi.h"

namespace hl::kvm {

// The MSRs a snapshot carries: the system-call and SYSENTER entry points,
// the swapped GS base and the memory types. (The TSC is left running.)
inline constexpr uint32_t kSnapshotMsrs[] = {
    0x174,       // IA32_SYSENTER_CS
    0x175,       // IA32_SYSENTER_ESP
    0x176,       // IA32_SYSENTER_EIP
    0x277,       // IA32_PAT
    0xc0000081,  // STAR
    0xc0000082,  // LSTAR
    0xc0000083,  // CSTAR
    0xc0000084,  // SFMASK
    0xc0000102,  // KERNEL_GS_BASE
};
inline constexpr uint32_t kSnapshotMsrCount = sizeof(kSnapshotMsrs) / sizeof(kSnapshotMsrs[0]);
static_assert(kSnapshotMsrCount <= kMaxMsrEntries);

struct VcpuState {
  kvm_regs regs{};
  kvm_sregs sregs{};
  XsaveArea xsave{};
  kvm_xcrs xcrs{};
  kvm_debugregs debugregs{};
  kvm_vcpu_events events{};
  kvm_mp_state mp_state{};
  uint64_t msrs[kSnapshotMsrCount] = {};
};

}  // namespace hl::kvm
