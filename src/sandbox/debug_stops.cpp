// The sandbox's side of debugging: where a stopped guest's registers and
// memory are, stops for gdb inside the run loop, and crash dumps.
//
// A guest stops either at a ring-3 instruction (the first one, or where a
// Ctrl-C interrupted it: registers in kvm_run's sync area and the sregs) or
// inside the exception stub after its `out` (a breakpoint, a step, a fault:
// the CPU's frame on the exception stack holds RIP, CS, RFLAGS, RSP and SS,
// and the stub pushed RAX below it). Edits to either go back where they came
// from; the stub's `pop rax; iretq` then returns to ring 3 with them.
#include <elf.h>
#include <signal.h>
#include <sys/user.h>

#include <cstring>

#include "common/error.h"
#include "debug/core_file.h"
#include "debug/stop_signal.h"
#include "sandbox/busy_guard.h"
#include "sandbox/sandbox.h"
#include "x86/page_tables.h"
#include "x86/system_tables.h"

namespace hl {
namespace {

constexpr uint64_t kTrapFlag = 1ull << 8;
constexpr uint64_t kResumeFlag = 1ull << 16;
// RFLAGS bits a debugger may change: the arithmetic flags, TF, DF, AC. Not
// IF, IOPL, NT, VM...: the guest stays an ordinary ring-3 program.
constexpr uint64_t kDebuggerFlags = 0x40DD5 | kTrapFlag;
constexpr uint64_t kLargePage = 1ull << 7;

// The general registers in gdb's order (rax rbx rcx rdx rsi rdi rbp rsp
// r8..r15), as fields of KVM's and of a core file's register structs.
constexpr __u64 kvm_regs::*kKvmGprs[16] = {&kvm_regs::rax, &kvm_regs::rbx, &kvm_regs::rcx, &kvm_regs::rdx,
                                           &kvm_regs::rsi, &kvm_regs::rdi, &kvm_regs::rbp, &kvm_regs::rsp,
                                           &kvm_regs::r8,  &kvm_regs::r9,  &kvm_regs::r10, &kvm_regs::r11,
                                           &kvm_regs::r12, &kvm_regs::r13, &kvm_regs::r14, &kvm_regs::r15};
constexpr unsigned long long user_regs_struct::*kCoreGprs[16] = {
    &user_regs_struct::rax, &user_regs_struct::rbx, &user_regs_struct::rcx, &user_regs_struct::rdx,
    &user_regs_struct::rsi, &user_regs_struct::rdi, &user_regs_struct::rbp, &user_regs_struct::rsp,
    &user_regs_struct::r8,  &user_regs_struct::r9,  &user_regs_struct::r10, &user_regs_struct::r11,
    &user_regs_struct::r12, &user_regs_struct::r13, &user_regs_struct::r14, &user_regs_struct::r15};
constexpr size_t kRax = 0, kRsp = 7;

}  // namespace

class SandboxDebugTarget final : public debug::DebugTarget {
 public:
  // vector: the guest stopped in the exception stub for this vector;
  // nothing: at a ring-3 instruction.
  SandboxDebugTarget(Sandbox &sandbox, std::optional<uint8_t> vector) : sb_(sandbox) {
    if (vector) frame_ = x86::exception_frame(*vector, sb_.layout_.exception_stack_top);
  }

  bool in_exception_stub() const { return frame_.has_value(); }

  uint64_t read_word(uint64_t gpa) const {
    uint64_t value = 0;
    if (const uint8_t *p = sb_.memory_.translate(gpa, 8)) std::memcpy(&value, p, 8);
    return value;
  }
  void write_word(uint64_t gpa, uint64_t value) {
    if (uint8_t *p = sb_.memory_.translate(gpa, 8)) {
      std::memcpy(p, &value, 8);
      sb_.tracker_.note_guest_page(gpa / mem::kPageSize);
    }
  }

  // Read once per stop (two ioctls); gdb asks for them many times.
  debug::X86Registers registers() override {
    if (!registers_) registers_ = read_registers();
    return *registers_;
  }

  bool set_registers(const debug::X86Registers &g) override {
    const debug::X86Registers now = registers();
    // Selectors and bases stay the host's: the guest remains in ring 3.
    if (g.cs != now.cs || g.ss != now.ss || g.ds != now.ds || g.es != now.es || g.fs != now.fs || g.gs != now.gs ||
        g.fs_base != now.fs_base || g.gs_base != now.gs_base)
      return false;
    if ((g.eflags ^ now.eflags) & ~kDebuggerFlags) return false;
    kvm_regs &r = sb_.vcpu_.sync_regs();
    for (size_t i = 0; i < 16; i++)
      if (!in_exception_stub() || (i != kRax && i != kRsp)) r.*kKvmGprs[i] = g.gpr[i];  // RSP: the stub's stack
    if (in_exception_stub()) {
      write_word(frame_->saved_rax, g.gpr[kRax]);
      write_word(frame_->rip, g.rip);
      write_word(frame_->rflags, g.eflags);
      write_word(frame_->rsp, g.gpr[kRsp]);
    } else {
      r.rip = g.rip;
      r.rflags = g.eflags;
    }
    sb_.vcpu_.mark_sync_regs_dirty();
    kvm_fpu edited = fpu_;
    for (int i = 0; i < 8; i++) std::memcpy(edited.fpr[i], g.st[i], 10);
    edited.fcw = static_cast<uint16_t>(g.fctrl);
    edited.fsw = static_cast<uint16_t>(g.fstat);
    std::memcpy(edited.xmm, g.xmm, sizeof g.xmm);
    edited.mxcsr = g.mxcsr;
    if (std::memcmp(&edited, &fpu_, sizeof fpu_) != 0) sb_.vcpu_.set_fpu(edited);
    registers_.reset();  // read back as the vCPU now has them
    return true;
  }

  // Guest virtual -> host pointer for [address, address + length) inside
  // one page, through the guest's own page tables; null if not mapped.
  uint8_t *host_address(uint64_t address, uint64_t length, bool for_write) const {
    const mem::Layout &l = sb_.layout_;
    std::span<const uint8_t> tables = sb_.memory_.span(l.page_tables, l.page_tables_size);
    const std::optional<uint64_t> leaf = x86::walk_page_tables(tables, l.page_tables, address);
    if (!leaf || !(*leaf & x86::pte::kPresent)) return nullptr;
    if (for_write && !(*leaf & x86::pte::kUser)) return nullptr;
    const uint64_t page_mask = (*leaf & kLargePage) ? (2ull << 20) - 1 : mem::kPageSize - 1;
    const uint64_t physical = (*leaf & x86::pte::kAddressMask & ~page_mask) | (address & page_mask);
    return sb_.memory_.translate(physical, length);
  }

  template <typename Bytes, typename Copy>
  bool page_by_page(uint64_t address, Bytes bytes, bool for_write, Copy copy) const {
    // All pages first: a write that cannot finish changes nothing.
    for (int pass = 0; pass < 2; pass++) {
      uint64_t done = 0;
      while (done < bytes.size()) {
        const uint64_t at = address + done;
        const uint64_t chunk = std::min<uint64_t>(bytes.size() - done, mem::kPageSize - at % mem::kPageSize);
        if (at < address) return false;  // wrapped around
        uint8_t *host = host_address(at, chunk, for_write);
        if (host == nullptr) return false;
        if (pass == 1) copy(host, done, chunk);
        done += chunk;
      }
    }
    return true;
  }

  bool read_memory(uint64_t address, std::span<uint8_t> out) override {
    return page_by_page(address, out, false, [&](uint8_t *host, uint64_t done, uint64_t chunk) {
      std::memcpy(out.data() + done, host, chunk);
    });
  }

  bool write_memory(uint64_t address, std::span<const uint8_t> bytes) override {
    // Noted like the guest's own writes, so a restore undoes them (and the
    // stub reinserts its breakpoints after one).
    return page_by_page(address, bytes, true, [&](uint8_t *host, uint64_t done, uint64_t chunk) {
      std::memcpy(host, bytes.data() + done, chunk);
      sb_.tracker_.note_guest_page((host - sb_.memory_.host_base()) / mem::kPageSize);
    });
  }

  debug::Auxv auxv() override { return sb_.guest_auxv(); }
  uint64_t load_offset() override { return sb_.layout_.image; }  // the loader maps the lowest vaddr there

  // Resumes as gdb asked: TF for one step. RF too, as an OS's debug handler
  // does, so a debug-register breakpoint the guest's own code could not
  // have set anyway never fires twice.
  void prepare_resume(debug::ResumeAction action) {
    if (in_exception_stub()) {
      uint64_t flags = read_word(frame_->rflags);
      flags = action == debug::ResumeAction::kStep ? (flags | kTrapFlag) : (flags & ~kTrapFlag);
      write_word(frame_->rflags, flags | kResumeFlag);
      registers_.reset();
      return;
    }
    kvm_regs &r = sb_.vcpu_.sync_regs();
    r.rflags = action == debug::ResumeAction::kStep ? (r.rflags | kTrapFlag) : (r.rflags & ~kTrapFlag);
    sb_.vcpu_.mark_sync_regs_dirty();
    registers_.reset();
  }

 private:
  debug::X86Registers read_registers() {
    const kvm_regs &r = sb_.vcpu_.sync_regs();
    const kvm_sregs s = sb_.vcpu_.get_sregs();
    debug::X86Registers g{};
    for (size_t i = 0; i < 16; i++) g.gpr[i] = r.*kKvmGprs[i];
    g.rip = r.rip;
    g.eflags = static_cast<uint32_t>(r.rflags);
    g.cs = s.cs.selector;
    g.ss = s.ss.selector;
    if (in_exception_stub()) {
      g.gpr[kRax] = read_word(frame_->saved_rax);
      g.rip = read_word(frame_->rip);
      g.cs = static_cast<uint32_t>(read_word(frame_->cs));
      g.eflags = static_cast<uint32_t>(read_word(frame_->rflags));
      g.gpr[kRsp] = read_word(frame_->rsp);
      g.ss = static_cast<uint32_t>(read_word(frame_->ss));
    }
    g.ds = s.ds.selector;
    g.es = s.es.selector;
    g.fs = s.fs.selector;
    g.gs = s.gs.selector;
    g.fs_base = s.fs.base;
    g.gs_base = s.gs.base;
    sb_.load_pending_fpu();  // a stop before the guest's entry ran shows the state it will start from
    fpu_ = sb_.vcpu_.get_fpu();
    const kvm_fpu &f = fpu_;
    for (int i = 0; i < 8; i++) std::memcpy(g.st[i], f.fpr[i], 10);
    g.fctrl = f.fcw;
    g.fstat = f.fsw;
    g.ftag = full_tag_word(f);
    g.fop = f.last_opcode;
    g.fioff = static_cast<uint32_t>(f.last_ip);
    g.fiseg = static_cast<uint32_t>(f.last_ip >> 32);
    g.fooff = static_cast<uint32_t>(f.last_dp);
    g.foseg = static_cast<uint32_t>(f.last_dp >> 32);
    std::memcpy(g.xmm, f.xmm, sizeof g.xmm);
    g.mxcsr = f.mxcsr;
    return g;
  }

  // FXSAVE's abridged tag (one bit per register, 1 = valid) as gdb's full
  // tag word (two bits per register, 11 = empty); valid ones read as 00.
  static uint32_t full_tag_word(const kvm_fpu &f) {
    uint32_t tag = 0;
    for (int i = 0; i < 8; i++)
      if (!(f.ftwx & (1u << i))) tag |= 3u << (2 * i);
    return tag;
  }

  Sandbox &sb_;
  std::optional<x86::ExceptionFrame> frame_;  // set for a stop inside the exception stub
  std::optional<debug::X86Registers> registers_;
  kvm_fpu fpu_{};  // as read with registers_
};

debug::Auxv Sandbox::guest_auxv() const {
  // From the ELF header at the image's start (the loader requires the first
  // PT_LOAD at address 0). A guest whose first segment is writable could
  // change it, so the values are only reported, to gdb and core files,
  // never followed.
  debug::Auxv auxv = {{AT_PAGESZ, mem::kPageSize}, {AT_BASE, 0}};
  Elf64_Ehdr header{};
  if (const uint8_t *p = memory_.translate(layout_.image, sizeof header)) std::memcpy(&header, p, sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) return auxv;
  auxv.push_back({AT_PHDR, layout_.image + header.e_phoff});
  auxv.push_back({AT_PHENT, header.e_phentsize});
  auxv.push_back({AT_PHNUM, header.e_phnum});
  auxv.push_back({AT_ENTRY, layout_.image + header.e_entry});
  return auxv;
}

void Sandbox::attach_debugger_if_configured(const SandboxConfig &config) {
  crashdump_dir_ = config.effective_crashdump_dir();
  const uint16_t port = config.effective_gdb_port();
  if (port == 0) return;
  // The stub's reader thread kicks the vCPU; the interrupt control outlives
  // the stub (declared before it), and kicks after detach() do nothing.
  std::weak_ptr<InterruptControl> control = interrupt_;
  gdb_ = std::make_unique<debug::GdbStub>(port, [control] {
    if (auto ic = control.lock()) ic->kick();
  });
  gdb_->accept_debugger();
}

void Sandbox::prepare_debug_stops() {
  if (gdb_ != nullptr && gdb_->wants_stop()) interrupt_->stop_next_run();
}

void Sandbox::debug_stop_after_interrupt() {
  const bool first = gdb_->take_first_stop();
  const bool requested = gdb_->take_stop_request();
  if (!first && !requested) return;
  // Interrupted inside the exception stub (rare): the exception's own exit
  // comes next and stops in gdb anyway.
  if ((vcpu_.get_sregs().cs.selector & 3) != 3) return;
  SandboxDebugTarget target(*this, std::nullopt);
  const debug::ResumeAction action = gdb_->stop(target, first ? debug::signal::kTrap : debug::signal::kInterrupt);
  if (action == debug::ResumeAction::kKill)
    poison_and_throw(ErrorCode::kCancelled, what_is_running() + " was killed from gdb");
  target.prepare_resume(action);
}

bool Sandbox::debug_exception(uint8_t vector) {
  if (gdb_ == nullptr || !gdb_->session_active()) return false;
  SandboxDebugTarget target(*this, vector);
  const bool debug_vector = vector == x86::kDebugVector || vector == x86::kBreakpointVector;
  if (!gdb_->attached()) {
    // gdb left while the guest ran: the stub takes its breakpoints out and
    // the guest runs on from its own trap. Any other exception (a guest's
    // own int3 too) fails the call as it would undebugged.
    const bool own_trap = debug_vector && gdb_->owns_trap(target, vector);
    gdb_->stop(target, debug::signal::kTrap);
    if (!own_trap) return false;
    target.prepare_resume(debug::ResumeAction::kContinue);
    return true;
  }
  const debug::ResumeAction action = gdb_->stop(target, debug::signal_for_vector(vector));
  if (action == debug::ResumeAction::kKill)
    poison_and_throw(ErrorCode::kCancelled, what_is_running() + " was killed from gdb");
  if (!debug_vector) return false;  // gdb saw the fault; the call fails as it would have
  target.prepare_resume(action);
  return true;
}

void Sandbox::with_breakpoints_lifted(const std::function<void()> &body) {
  if (gdb_ == nullptr || !gdb_->session_active()) return body();
  SandboxDebugTarget target(*this, std::nullopt);
  gdb_->lift_breakpoints(target);
  try {
    body();
  } catch (...) {
    gdb_->reinsert_breakpoints(target);
    throw;
  }
  gdb_->reinsert_breakpoints(target);
}

void Sandbox::reinsert_breakpoints_after_restore() {
  if (gdb_ == nullptr || !gdb_->session_active()) return;
  SandboxDebugTarget target(*this, std::nullopt);
  gdb_->reinsert_breakpoints(target);
}

namespace {

user_regs_struct core_registers(const debug::X86Registers &g) {
  user_regs_struct r{};
  for (size_t i = 0; i < 16; i++) r.*kCoreGprs[i] = g.gpr[i];
  r.orig_rax = ~0ull;
  r.rip = g.rip;
  r.eflags = g.eflags;
  r.cs = g.cs;
  r.ss = g.ss;
  r.ds = g.ds;
  r.es = g.es;
  r.fs = g.fs;
  r.gs = g.gs;
  r.fs_base = g.fs_base;
  r.gs_base = g.gs_base;
  return r;
}

user_fpregs_struct core_fp_registers(const debug::X86Registers &g) {
  user_fpregs_struct f{};
  f.cwd = static_cast<uint16_t>(g.fctrl);
  f.swd = static_cast<uint16_t>(g.fstat);
  uint16_t abridged = 0;  // FXSAVE form: 1 = valid
  for (int i = 0; i < 8; i++)
    if (((g.ftag >> (2 * i)) & 3) != 3) abridged |= static_cast<uint16_t>(1u << i);
  f.ftw = abridged;
  f.fop = static_cast<uint16_t>(g.fop);
  f.rip = g.fioff | (uint64_t{g.fiseg} << 32);
  f.rdp = g.fooff | (uint64_t{g.foseg} << 32);
  f.mxcsr = g.mxcsr;
  f.mxcr_mask = 0xFFFF;
  for (int i = 0; i < 8; i++) std::memcpy(reinterpret_cast<uint8_t *>(f.st_space) + 16 * i, g.st[i], 10);
  std::memcpy(f.xmm_space, g.xmm, sizeof g.xmm);
  return f;
}

}  // namespace

void Sandbox::write_core(const std::string &path, std::optional<uint8_t> vector, int signal) {
  load_pending_fpu();  // the state the guest starts from, if its entry has not run yet
  SandboxDebugTarget target(*this, vector);
  const debug::X86Registers registers = target.registers();
  debug::CoreDescription core;
  core.registers = core_registers(registers);
  core.fp_registers = core_fp_registers(registers);
  core.has_fp_registers = true;
  core.signal = signal;
  core.auxv = guest_auxv();
  core.program_name = "hyperlight-guest";
  // What the guest sees of itself: its image, stack, heap, buffers, PEB and
  // init data; not the host-owned supervisor pages.
  for (const mem::Region &region : mapped_regions_.fault_regions()) {
    if (!region.permissions.user) continue;
    const uint8_t *bytes = memory_.translate(region.base, region.size);
    if (bytes == nullptr) continue;  // host memory mapped in: not the guest's to dump
    core.segments.push_back({region.base, std::span<const uint8_t>(bytes, region.size), true,
                             region.permissions.writable, region.permissions.executable});
  }
  debug::write_core_file(path, core);
}

void Sandbox::write_crash_dump(const std::string &path) {
  BusyGuard busy(busy_);
  write_core(path, std::nullopt, 0);
}

std::string Sandbox::dump_core_for_failure(std::optional<uint8_t> vector, int signal) {
  if (crashdump_dir_.empty()) return "";
  const std::string path = debug::core_file_name(crashdump_dir_, "guest", ++crash_dumps_written_);
  try {
    write_core(path, vector, signal);
  } catch (const Error &e) {
    return std::string(" (no core dump: ") + e.what() + ")";
  }
  return " (core dump: " + path + ")";
}

}  // namespace hl
