#include "sandbox/cpu_state.h"

#include <vector>

#include "common/error.h"
#include "mem/page_tables.h"
#include "mem/system_tables.h"

namespace hl {
namespace {

kvm_segment segment(uint16_t selector, bool code) {
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

}  // namespace

void set_control_state(kvm_sregs &sregs, const mem::Layout &l) {
  sregs.cs = segment(mem::kUserCodeSelector, true);
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = segment(mem::kUserDataSelector, false);
  kvm_segment tr{};
  tr.base = l.gdt_tss + mem::kTssOffset;
  tr.limit = mem::tss_limit();
  tr.selector = mem::kTssSelector;
  tr.type = 11;  // busy 64-bit TSS
  tr.present = 1;
  sregs.tr = tr;
  sregs.gdt.base = l.gdt_tss;
  sregs.gdt.limit = static_cast<uint16_t>(mem::kGdtEntries * 8 - 1);
  sregs.idt.base = l.idt;
  sregs.idt.limit = static_cast<uint16_t>(mem::kExceptionVectors * 16 - 1);
  sregs.cr0 = kCr0;
  sregs.cr3 = l.page_tables;
  sregs.cr4 = kCr4;
  sregs.efer = kEfer;
}

std::string check_control_state(const kvm_regs &regs, const kvm_sregs &s, const mem::Layout &l) {
  if (s.cr0 != kCr0 || s.cr3 != l.page_tables || s.cr4 != kCr4 || s.efer != kEfer)
    return "control registers (CR0, CR3, CR4, EFER) differ from the host's";
  if (s.cs.selector != mem::kUserCodeSelector || s.cs.dpl != 3 || s.ss.selector != mem::kUserDataSelector ||
      s.ss.dpl != 3)
    return "code or stack segment is not ring 3";
  if (s.gdt.base != l.gdt_tss || s.idt.base != l.idt || s.tr.selector != mem::kTssSelector ||
      s.tr.base != l.gdt_tss + mem::kTssOffset)
    return "descriptor tables differ from the host's";
  if ((regs.rflags & 0x3000) != 0 || (regs.rflags & (1u << 17)) != 0) return "RFLAGS grants I/O privilege or VM86";
  return {};
}

void write_host_owned_pages(uint8_t *base, const mem::Layout &l, const std::vector<mem::Region> &regions) {
  std::vector<mem::PageMapping> mappings;
  for (const mem::Region &r : regions) mappings.push_back({r.base, r.size, r.permissions});
  mem::build_page_tables({base + l.page_tables, l.page_tables_size}, l.page_tables, l.memory_size, mappings);
  mem::write_gdt_and_tss({base + l.gdt_tss, mem::kPageSize}, l.gdt_tss, l.exception_stack_top);
  mem::write_idt({base + l.idt, mem::kPageSize}, l.exception_stub);
  mem::write_exception_stubs({base + l.exception_stub, mem::kPageSize});
}

}  // namespace hl
