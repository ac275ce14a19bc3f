// Building a sandbox: guest memory, page tables, system tables, the vCPU's
// long-mode state, and the guest's own initialisation.
#include <sys/random.h>

#include <cstring>
#include <vector>

#include "abi/hl_abi.h"
#include "abi/hl_wire.h"
#include "common/error.h"
#include "protocol/message_header.h"
#include "protocol/values.h"
#include "sandbox/sandbox.h"
#include "x86/cpu_state.h"
#include "x86/page_tables.h"
#include "x86/system_tables.h"

namespace hl {
namespace {

mem::LayoutSizes sizes_for(const SandboxConfig &config, const mem::ElfImage &image) {
  mem::LayoutSizes s;
  s.image = image.size();
  s.image_alignment = image.alignment();
  s.input_buffer = config.input_buffer_size;
  s.output_buffer = config.output_buffer_size;
  s.heap = config.heap_size;
  s.stack = config.stack_size;
  s.init_data = config.init_data.size();
  s.init_data_permissions = {true, (config.init_data_flags & MapFlag::kWrite) != 0,
                             (config.init_data_flags & MapFlag::kExecute) != 0};
  return s;
}

uint64_t random_seed() {
  uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) seed = 0x9e3779b97f4a7c15ull;
  return seed;
}

}  // namespace

std::unique_ptr<Sandbox> Sandbox::create(const SandboxServices &services, const SandboxConfig &config,
                                         std::span<const uint8_t> elf) {
  mem::ElfImage image = mem::ElfImage::parse(elf);
  std::unique_ptr<Sandbox> sandbox(new Sandbox(services, config, mem::Layout::compute(sizes_for(config, image))));
  sandbox->map_memory_slots(false);  // writes are logged once there is a snapshot to restore
  sandbox->boot(image);
  if (!config.init_data.empty())
    std::memcpy(sandbox->memory_.span(sandbox->layout_.init_data, config.init_data.size()).data(),
                config.init_data.data(), config.init_data.size());
  sandbox->attach_debugger_if_configured(config);  // gdb sees the guest's first instruction
  sandbox->initialise_guest(config.init_timeout_ns);
  return sandbox;
}

Sandbox::Sandbox(const SandboxServices &services, const SandboxConfig &config, const mem::Layout &layout)
    : services_(services),
      layout_(layout),
      memory_(layout_.memory_size),
      machine_(services_.vm_pool->take()),
      tracker_(layout_.memory_size / mem::kPageSize),
      mapped_regions_(vm_, memory_.span(layout_.page_tables, layout_.page_tables_size), layout_, tracker_),
      interrupt_(std::make_shared<InterruptControl>(vcpu_.run_state(), services_.interrupts, services_.metrics)),
      host_functions_(config.host_function_registry()),
      log_callback_(config.log_callback),
      max_log_level_(config.effective_max_log_level()),
      init_data_bytes_(config.init_data.size()),
      default_timeout_ns_(config.call_timeout_ns),
      default_cpu_budget_ns_(config.call_cpu_budget_ns) {
  id_ = services_.sandbox_ids != nullptr ? services_.sandbox_ids->fetch_add(1) + 1 : 0;
  print_callback_ = config.print_callback;
  print_limit_ = config.print_limit;
  install_interrupt_signal_handler(services_.interrupts.signal());
}

Sandbox::~Sandbox() {
  interrupt_->detach();
  std::vector<uint32_t> slots = {0, 1, 2};
  for (uint32_t slot : mapped_regions_.slots()) slots.push_back(slot);
  // The pool's thread deletes the slots before the machine runs again; no
  // vCPU runs meanwhile, so the mapped regions' memory may go first
  // (mapped_regions_ is destroyed after this body, and with it this
  // sandbox's references).
  services_.vm_pool->give_back(std::move(machine_), std::move(slots));
}

// Guest memory goes to KVM as three slots around the null page and the
// guard pages (heap and stack guards side by side, then the exception
// stack's), so those are holes even to the hypervisor: besides their
// not-present PTEs, no guest-physical memory backs them at all.
void Sandbox::map_memory_slots(bool log_writes) {
  const mem::Layout &l = layout_;
  const struct {
    uint64_t begin, end;
  } slots[] = {{mem::kPageSize, l.heap_guard}, {l.stack, l.exception_guard}, {l.exception_stack, l.memory_size}};
  uint32_t slot = 0;
  const uint32_t flags = log_writes ? KVM_MEM_LOG_DIRTY_PAGES : 0;
  for (const auto &s : slots)
    vm_.set_memory_slot(slot++, s.begin, s.end - s.begin, memory_.host_base() + s.begin, flags);
  logging_writes_ = log_writes;
}

void Sandbox::boot(const mem::ElfImage &image) {
  const mem::Layout &l = layout_;
  // memory_ is a fresh memfd, all zero, as ElfImage::load requires.
  image.load(memory_.span(l.image, l.image_size), l.image);

  std::vector<mem::Region> fixed_regions;
  for (const mem::Region &r : l.regions())
    if (r.name != "image") fixed_regions.push_back(r);
  for (const mem::ElfSegment &s : image.segments()) {
    const char *name = s.permissions.executable ? "image code"
                       : s.permissions.writable ? "image data"
                                                : "image read-only data";
    fixed_regions.push_back({name, l.image + s.offset, s.size, s.permissions});
  }
  mapped_regions_.set_fixed_regions(std::move(fixed_regions));
  write_host_owned_pages(memory_.host_base(), l, mapped_regions_.fixed_regions());

  hl_peb peb{};
  peb.magic = HL_PEB_MAGIC;
  peb.abi_version = HL_ABI_VERSION;
  peb.memory_size = l.memory_size;
  peb.input_buffer = l.input_buffer;
  peb.input_size = l.input_buffer_size;
  peb.output_buffer = l.output_buffer;
  peb.output_size = l.output_buffer_size;
  peb.heap = l.heap;
  peb.heap_size = l.heap_size;
  peb.stack_top = l.stack_top;
  peb.stack_size = l.stack_size;
  peb.init_data = l.init_data;
  peb.init_data_size = init_data_bytes_;
  std::memcpy(memory_.span(l.peb, sizeof peb).data(), &peb, sizeof peb);

  kvm::VcpuState state = boot_vcpu_state(l, host_cr4(kvm_->offers_umip()));
  kvm_regs &regs = state.regs;
  regs.rip = l.image + image.entry_offset();
  regs.rsp = l.stack_top - 8;
  regs.rdi = l.peb;
  regs.rsi = random_seed();
  regs.rdx = mem::kPageSize;
  regs.rcx = static_cast<uint64_t>(max_log_level_);  // the guest drops records above it without an exit
  // Every part, privileged ones included: a VM from the pool was scrubbed
  // to a new vCPU's values, which are KVM's, not the host's choice.
  vcpu_.restore_all_state(state);
  // From here on registers travel through kvm_run (no ioctl per call).
  vcpu_.run_state()->kvm_valid_regs = KVM_SYNC_X86_REGS;
}

void Sandbox::initialise_guest(uint64_t timeout_ns) {
  current_function_.clear();
  reply_offset_ = 0;
  counts_ = CallCounts{};  // the print limit holds for the initialisation as for a call
  struct RecordPrints {
    Sandbox &sandbox;
    ~RecordPrints() {
      sandbox.services_.metrics->record_print(sandbox.counts_.print_bytes, sandbox.counts_.print_bytes_dropped);
    }
  } record_prints{*this};
  Limits limits;
  limits.timeout_ns = timeout_ns < SandboxConfig::kUnlimitedFromNs ? timeout_ns : 0;
  try {
    // A guest stuck in its init cannot hang hl_sandbox_new.
    if (Failure stopped = run_until_done(limits)) throw *stopped;
    hl_wire_reader r;
    std::span<const uint8_t> out = output_buffer();
    uint8_t type = hl_wire_open(&r, out.data(), static_cast<uint32_t>(out.size()));
    if (type == HL_MSG_ERROR) {
      uint32_t code = hl_wire_get_u32(&r);
      const uint8_t *msg = nullptr;
      uint32_t len = 0;
      hl_wire_get_str(&r, &msg, &len);
      throw Error(ErrorCode::kGuestInitFailed,
                  format("guest reported error %u during initialisation: %.*s", code, static_cast<int>(len),
                         msg != nullptr ? reinterpret_cast<const char *>(msg) : ""));
    }
    uint32_t abi = hl_wire_get_u32(&r);
    uint64_t dispatch = hl_wire_get_u64(&r);
    if (type == HL_MSG_READY && !r.failed && r.pos < r.len) read_guest_functions(r);
    if (type != HL_MSG_READY || !hl_wire_done(&r))
      throw Error(ErrorCode::kGuestInitFailed,
                  "guest finished initialisation without a valid READY message" + output_header_fault(type, out));
    if (abi != HL_ABI_VERSION)
      throw Error(ErrorCode::kGuestInitFailed,
                  format("guest was built for ABI version %u, this host speaks %u", abi, HL_ABI_VERSION));
    if (dispatch < layout_.image || dispatch >= layout_.image + layout_.image_size)
      throw Error(ErrorCode::kGuestInitFailed, format("guest dispatch address 0x%llx is outside its image",
                                                      static_cast<unsigned long long>(dispatch)));
    guest_.dispatch_address = dispatch;
  } catch (const Error &e) {
    if (e.code() == ErrorCode::kGuestInitFailed || e.code() == ErrorCode::kTimeout) throw;  // TIMEOUT: its own cause
    throw Error(ErrorCode::kGuestInitFailed, std::string("guest initialisation failed: ") + e.what());
  }
}

void Sandbox::read_guest_functions(hl_wire_reader &r) {
  uint32_t count = hl_wire_get_u32(&r);
  if (count > 4096) throw Error(ErrorCode::kGuestInitFailed, "guest declared more than 4096 functions");
  for (uint32_t i = 0; i < count && !r.failed; i++) {
    const uint8_t *name = nullptr;
    uint32_t name_len = 0;
    hl_wire_get_str(&r, &name, &name_len);
    FunctionSignature fn;
    const uint8_t result = hl_wire_get_u8(&r);
    fn.result = val_kind(result);
    uint8_t nparams = hl_wire_get_u8(&r);
    bool ok = !r.failed && name_len > 0 && name_len <= HL_WIRE_MAX_NAME && is_valid_kind(result) &&
              nparams <= HL_WIRE_MAX_ARGS;
    for (uint8_t p = 0; ok && p < nparams; p++) {
      const uint8_t param = hl_wire_get_u8(&r);
      fn.params.push_back(val_kind(param));
      ok = param != HL_WIRE_VOID && is_valid_kind(param);
    }
    if (!ok) throw Error(ErrorCode::kGuestInitFailed, format("guest declared a malformed function (entry %u)", i));
    guest_.functions[std::string(reinterpret_cast<const char *>(name), name_len)] = std::move(fn);
  }
  uint8_t fallback = hl_wire_get_u8(&r);
  if (r.failed || fallback > 1) throw Error(ErrorCode::kGuestInitFailed, "guest sent a malformed function table");
  guest_.has_fallback = fallback == 1;
  guest_.functions_known = true;
  index_guest_functions();
}

}  // namespace hl
