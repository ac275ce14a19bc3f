// The vCPU state a snapshot file carries: only what ring-3 code can change.
//
// Everything privileged (control registers, EFER, XCR0, descriptor tables
// and every descriptor, MSRs, debug registers, pending events, IOPL) is not
// in the file at all: the loader rebuilds it from boot_vcpu_state, so a
// forged file cannot choose it. docs/snapshots.md lists the fields.
#pragma once

#include <cstdint>
#include <string>

#include "kvm/vcpu_state.h"
#include "mem/layout.h"

namespace hl {

// RFLAGS bits ring-3 code may set with POPF: CF, PF, AF, ZF, SF, TF, DF, OF,
// AC and ID. (Bit 1 is always set; IF, IOPL, NT, RF, VM, VIF and VIP are not
// the guest's.)
inline constexpr uint64_t kUserRflags = 0x240dd5;

struct UserCpuState {
  // rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8 .. r15
  uint64_t gprs[16] = {};
  uint64_t rip = 0, rflags = 0;
  // Data segment selectors: null or the user data selector, the only two
  // ring-3 code can load. FS and GS bases (zero unless the host set them).
  uint16_t ds = 0, es = 0, fs = 0, gs = 0;
  uint64_t fs_base = 0, gs_base = 0;
  // x87 and SSE state, the fields of the FXSAVE image.
  uint16_t fcw = 0, fsw = 0;
  uint8_t ftw = 0;  // abridged tag word
  uint16_t fop = 0;
  uint64_t fip = 0, fdp = 0;
  uint32_t mxcsr = 0;
  uint8_t st[8][10] = {};    // ST0-ST7, 80 bits each
  uint8_t xmm[16][16] = {};  // XMM0-XMM15
  uint64_t xstate_bv = 0;    // which of x87 (bit 0) and SSE (bit 1) hold non-initial state
};

// The user part of a vCPU's state.
UserCpuState user_cpu_state(const kvm::VcpuState &state);

// "" if ring-3 code in layout could have left state, else what is wrong.
std::string check_user_cpu_state(const UserCpuState &state, const mem::Layout &layout);

// The host's boot state for layout (boot_vcpu_state with CR4 = cr4) with
// the user part replaced by state, which check_user_cpu_state accepted.
kvm::VcpuState vcpu_state_with(const UserCpuState &state, const mem::Layout &layout, uint64_t cr4);

}  // namespace hl
