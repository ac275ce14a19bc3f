// The vCPU's fixed control state: long mode, guest code in ring 3, the
// host's GDT, IDT, TSS and page tables. boot.cpp sets it; the snapshot
// loader checks a file's vCPU state against it.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>

#include "mem/layout.h"

namespace hl {

inline constexpr uint64_t kCr0 = 0x80010033;  // PG | WP | NE | ET | MP | PE
inline constexpr uint64_t kCr4 = 0x620;       // OSXMMEXCPT | OSFXSR | PAE
inline constexpr uint64_t kEfer = 0xD00;      // NXE | LMA | LME; no SCE: `syscall` is #UD, not a jump to ring 0
inline constexpr uint64_t kRflags = 0x2;      // IOPL 0: ring 3 reaches only the ports the TSS opens

// sregs (as KVM_GET_SREGS returned them for a new vCPU) set up for layout.
void set_control_state(kvm_sregs &sregs, const mem::Layout &layout);

// "" if the state is one the host could have produced for layout (ring 3
// code, the fixed control registers and tables), else what is wrong.
std::string check_control_state(const kvm_regs &regs, const kvm_sregs &sregs, const mem::Layout &layout);

// Writes the page tables, GDT/TSS, IDT and exception stubs for layout into
// guest memory at memory_base; regions gives each mapped range's
// permissions (the layout's regions with the image split into segments).
void write_host_owned_pages(uint8_t *memory_base, const mem::Layout &layout, const std::vector<mem::Region> &regions);

}  // namespace hl
