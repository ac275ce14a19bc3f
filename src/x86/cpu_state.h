// The vCPU state the host chooses: long mode, guest code in ring 3, the
// host's GDT, IDT, TSS and page tables, and every privileged register. boot
// sets it; the snapshot loader rebuilds it rather than reading it from a
// file (src/snapshot/user_cpu_state.h carries the rest).
#pragma once

#include <array>

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

#include "kvm/vcpu_state.h"
#include "mem/layout.h"

namespace hl {

inline constexpr uint64_t kCr0 = 0x80010033;      // PG | WP | NE | ET | MP | PE
inline constexpr uint64_t kCr4 = 0x620;           // OSXMMEXCPT | OSFXSR | PAE
inline constexpr uint64_t kCr4Umip = 1ull << 11;  // sgdt/sidt/sldt/str/smsw fault in ring 3
inline constexpr uint64_t kEfer = 0xD00;          // NXE | LMA | LME; no SCE: `syscall` is #UD, not a jump to ring 0
inline constexpr uint64_t kRflags = 0x2;          // IOPL 0, IF 0: ring 3 reaches only the ports the TSS opens
// x87 only, KVM's reset value: CR4.OSXSAVE is clear and XSAVE is hidden from
// the guest, so it can neither change XCR0 nor use AVX.
inline constexpr uint64_t kXcr0 = 1;
// XSAVE components the guest can change: x87 and SSE.
inline constexpr uint64_t kGuestXstateComponents = 0x3;
inline constexpr uint32_t kMxcsrValidBits = 0xffff;

// CR4 for a vCPU whose CPUID offers UMIP (umip) or not.
constexpr uint64_t host_cr4(bool umip) { return kCr4 | (umip ? kCr4Umip : 0); }

// The complete vCPU state the host sets at boot for layout, with CR4 = cr4
// (host_cr4): control and segment registers, descriptor tables, a null
// LDT, FPU defaults, XCR0, debug registers, MSRs, no pending events. The
// general registers are zero but for RFLAGS; the caller sets the entry ones.
kvm::VcpuState boot_vcpu_state(const mem::Layout &layout, uint64_t cr4);

// Segment descriptors as the vCPU holds them: ring-3 data (the user data
// selector) and a null selector (what `mov ds, 0` leaves in 64-bit mode).
kvm_segment user_data_segment();
kvm_segment null_segment();

// The x87/SSE state of xsave as the 512-byte image FXRSTOR loads: its legacy
// region, with the components XSAVE recorded in their initial state
// (xstate_bv clear) set to that state, as XRSTOR would. The guest loads it
// after a restore (abi/hl_abi.h, fpu_restore); XCR0 holds x87 only and
// CR4.OSXSAVE is clear, so nothing outside the image can differ.
std::array<uint8_t, 512> fxsave_image(const kvm::XsaveArea &xsave);

// Writes the page tables, GDT/TSS, IDT and exception stubs for layout into
// guest memory at memory_base; regions gives each mapped range's
// permissions (the layout's regions with the image split into segments).
void write_host_owned_pages(uint8_t *memory_base, const mem::Layout &layout, const std::vector<mem::Region> &regions);

}  // namespace hl
