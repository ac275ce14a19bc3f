#include "x86/cpu_state.h"

#include <cstring>
#include <vector>

#include "common/error.h"
#include "x86/page_tables.h"
#include "x86/system_tables.h"

namespace hl {
namespace {

kvm_segment flat_segment(uint16_t selector, bool code) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = code ? 11 : 3;  // execute/read accessed : read/write accessed
  s.present = 1;
  s.dpl = selector & 3;
  s.db = code ? 0 : 1;
  s.s = 1;
  s.l = code ? 1 : 0;
  s.g = 1;
  return s;
}

// KVM's reset values, which the host never changes: the local APIC at its
// architectural address, enabled, this vCPU the bootstrap processor.
constexpr uint64_t kApicBase = 0xfee00900;
constexpr uint64_t kDr6 = 0xffff0ff0;
constexpr uint64_t kDr7 = 0x400;
constexpr uint64_t kPat = 0x0007040600070406;  // IA32_PAT power-on value
constexpr uint32_t kPatMsr = 0x277;

// FXSAVE image offsets inside the XSAVE area (Intel SDM vol. 1, 10.5.1).
constexpr size_t kFcwOffset = 0, kMxcsrOffset = 24, kXstateBvOffset = 512;

// Where the image's parts are (FXSAVE layout) and their initial values.
constexpr size_t kX87End = 160, kXmmOffset = 160, kXmmEnd = 416;  // x87 state before the XMM registers
constexpr uint16_t kInitialFcw = 0x37f;
constexpr uint64_t kX87Component = 1, kSseComponent = 2;

}  // namespace

std::array<uint8_t, 512> fxsave_image(const kvm::XsaveArea &xsave) {
  std::array<uint8_t, 512> image{};
  const auto *area = reinterpret_cast<const uint8_t *>(xsave.region);
  std::memcpy(image.data(), area, image.size());
  uint64_t xstate_bv;
  std::memcpy(&xstate_bv, area + kXstateBvOffset, sizeof xstate_bv);
  if ((xstate_bv & kX87Component) == 0) {
    // Everything x87 but MXCSR and its mask (bytes 24-31, SSE's) to the initial state.
    uint8_t mxcsr_and_mask[8];
    std::memcpy(mxcsr_and_mask, image.data() + kMxcsrOffset, sizeof mxcsr_and_mask);
    std::memset(image.data(), 0, kX87End);
    std::memcpy(image.data() + kMxcsrOffset, mxcsr_and_mask, sizeof mxcsr_and_mask);
    std::memcpy(image.data() + kFcwOffset, &kInitialFcw, sizeof kInitialFcw);
  }
  if ((xstate_bv & kSseComponent) == 0) std::memset(image.data() + kXmmOffset, 0, kXmmEnd - kXmmOffset);
  return image;
}

kvm_segment user_data_segment() { return flat_segment(x86::kUserDataSelector, false); }

kvm_segment null_segment() {
  kvm_segment s{};
  s.unusable = 1;
  return s;
}

kvm::VcpuState boot_vcpu_state(const mem::Layout &l, uint64_t cr4) {
  kvm::VcpuState state;
  kvm_sregs &s = state.sregs;
  s.cs = flat_segment(x86::kUserCodeSelector, true);
  s.ds = s.es = s.fs = s.gs = s.ss = user_data_segment();
  s.tr.base = l.gdt_tss + x86::kTssOffset;
  s.tr.limit = x86::tss_limit();
  s.tr.selector = x86::kTssSelector;
  s.tr.type = 11;  // busy 64-bit TSS
  s.tr.present = 1;
  // No LDT: a selector with TI set is a #GP, never a descriptor read from
  // whatever memory KVM's reset LDTR (base 0) would point at.
  s.ldt = null_segment();
  s.gdt.base = l.gdt_tss;
  s.gdt.limit = static_cast<uint16_t>(x86::kGdtEntries * 8 - 1);
  s.idt.base = l.idt;
  s.idt.limit = static_cast<uint16_t>(x86::kExceptionVectors * 16 - 1);
  s.cr0 = kCr0;
  s.cr3 = l.page_tables;
  s.cr4 = cr4;
  s.efer = kEfer;
  s.apic_base = kApicBase;

  state.regs.rflags = kRflags;

  const uint16_t fcw = 0x37f;  // x87 defaults: all exceptions masked, 64-bit precision
  const uint32_t mxcsr = 0x1f80;
  const uint64_t xstate_bv = kGuestXstateComponents;
  auto *xsave = reinterpret_cast<uint8_t *>(state.xsave.region);
  std::memcpy(xsave + kFcwOffset, &fcw, sizeof fcw);
  std::memcpy(xsave + kMxcsrOffset, &mxcsr, sizeof mxcsr);
  std::memcpy(xsave + kXstateBvOffset, &xstate_bv, sizeof xstate_bv);

  state.xcrs.nr_xcrs = 1;
  state.xcrs.xcrs[0].xcr = 0;
  state.xcrs.xcrs[0].value = kXcr0;
  state.debugregs.dr6 = kDr6;
  state.debugregs.dr7 = kDr7;
  state.mp_state.mp_state = KVM_MP_STATE_RUNNABLE;
  for (uint32_t i = 0; i < kvm::kSnapshotMsrCount; i++)
    state.msrs[i] = kvm::kSnapshotMsrs[i] == kPatMsr ? kPat : 0;  // no system-call entry points at all
  return state;
}

void write_host_owned_pages(uint8_t *base, const mem::Layout &l, const std::vector<mem::Region> &regions) {
  std::vector<x86::PageMapping> mappings;
  for (const mem::Region &r : regions) mappings.push_back({r.base, r.size, r.permissions});
  x86::build_page_tables({base + l.page_tables, l.page_tables_size}, l.page_tables, l.memory_size, mappings);
  x86::write_gdt_and_tss({base + l.gdt_tss, mem::kPageSize}, l.gdt_tss, l.exception_stack_top);
  x86::write_idt({base + l.idt, mem::kPageSize}, l.exception_stub);
  x86::write_exception_stubs({base + l.exception_stub, mem::kPageSize});
}

}  // namespace hl
