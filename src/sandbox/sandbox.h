// One sandbox: a KVM VM with one vCPU running one guest at CPL3.
//
// Created by booting the guest ELF (boot.cpp) and running its
// initialisation, or from a snapshot (snapshot_restore.cpp); then call()
// runs guest functions by name, serving the guest's host calls on the
// caller's thread (sandbox.cpp).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "abi/hl_wire.h"
#include "common/api_types.h"
#include "common/error.h"
#include "debug/gdb_stub.h"
#include "kvm/kvm_system.h"
#include "kvm/vm.h"
#include "mem/elf_image.h"
#include "mem/guest_memory.h"
#include "mem/layout.h"
#include "mem/mapped_memory.h"
#include "protocol/guest_interface.h"
#include "sandbox/call_accounting.h"
#include "sandbox/config.h"
#include "sandbox/host_functions.h"
#include "sandbox/interrupt.h"
#include "sandbox/mapped_regions.h"
#include "sandbox/restore_tracker.h"
#include "sandbox/sandbox_services.h"
#include "snapshot/snapshot.h"

namespace hl {

class Sandbox {
 public:
  // Throws Error: INVALID_ELF, GUEST_INIT_FAILED, TIMEOUT, ...
  static std::unique_ptr<Sandbox> create(const SandboxServices &services, const SandboxConfig &config,
                                         std::span<const uint8_t> elf);
  // Already in the snapshot's state: no ELF, no guest initialisation. The
  // config's runtime settings apply; the memory layout is the snapshot's.
  // (Engine::create_sandbox_from_snapshot prefers a spare kept warm.)
  static std::unique_ptr<Sandbox> create_cold_from_snapshot(const SandboxServices &services,
                                                            const SandboxConfig &config,
                                                            std::shared_ptr<const Snapshot> snapshot);
  ~Sandbox();
  Sandbox(const Sandbox &) = delete;
  Sandbox &operator=(const Sandbox &) = delete;

  void register_host_function(std::unique_ptr<HostFunction> fn);

  // One call's limits; unset ones take the config's. 0 means none.
  struct CallSettings {
    std::optional<uint64_t> timeout_ns;
    std::optional<uint64_t> cpu_budget_ns;
  };
  // result may be null; it is left void on error. stats, when not null,
  // receives what the call cost (also when it fails). A kill, a timeout, a
  // CPU budget or the guest's own error is returned (error.h, Failure);
  // other errors are thrown.
  [[nodiscard]] Failure try_call(std::string_view function, const Val *args, size_t nargs, Val *result,
                                 const CallSettings &settings = {}, CallStats *stats = nullptr);
  // The same, throwing every error.
  void call(std::string_view function, const Val *args, size_t nargs, Val *result, const CallSettings &settings = {},
            CallStats *stats = nullptr) {
    if (Failure failure = try_call(function, args, nargs, result, settings, stats)) throw *failure;
  }
  bool poisoned() const { return !poisoned_reason_.empty(); }
  // Unique among the sandboxes of its engine; a reused sandbox gets a new one.
  uint64_t id() const { return id_; }
  // Whether its VM came ready from the engine's pool (for the metrics).
  bool machine_from_pool() const { return machine_.from_pool; }

  // Snapshots (snapshot_restore.cpp). snapshot() makes the new snapshot this
  // sandbox's restore baseline; restore() throws SNAPSHOT_MISMATCH before
  // changing anything if the snapshot does not fit.
  std::shared_ptr<const Snapshot> snapshot();
  void restore(const std::shared_ptr<const Snapshot> &snapshot);
  // Throws SNAPSHOT_MISMATCH naming the first host function the snapshot
  // recorded that functions lacks or has with another signature; operation,
  // where ("which <where>") and remedy word the message.
  static void check_host_functions(const Snapshot &snapshot, const HostFunctionRegistry &functions,
                                   const char *operation, const char *where, const char *remedy);
  // Failures as try_call's.
  [[nodiscard]] Failure try_call_and_restore(const std::shared_ptr<const Snapshot> &snapshot, std::string_view function,
                                             const Val *args, size_t nargs, Val *result,
                                             const CallSettings &settings = {}, CallStats *stats = nullptr);
  void call_and_restore(const std::shared_ptr<const Snapshot> &snapshot, std::string_view function, const Val *args,
                        size_t nargs, Val *result, const CallSettings &settings = {}, CallStats *stats = nullptr) {
    if (Failure failure = try_call_and_restore(snapshot, function, args, nargs, result, settings, stats))
      throw *failure;
  }
  // For SpareSandboxes (src/engine): park() strips everything that belonged to the
  // user (host functions, log callback, interrupt handles) and returns the
  // baseline snapshot, or returns null if this sandbox cannot be reused.
  // unpark() makes it a fresh sandbox from that snapshot for a new user.
  std::shared_ptr<const Snapshot> park();
  void unpark(const SandboxConfig &config, const std::shared_ptr<const Snapshot> &snapshot);

  // Regions of host memory or files mapped into the guest (map_calls.cpp,
  // mapped_regions.h). The sandbox keeps a reference to memory while it maps
  // it (a failed map keeps none).
  void map_region(std::shared_ptr<const MappedMemory> memory, uint64_t guest_address, uint32_t flags);
  void unmap_region(uint64_t guest_address);
  uint64_t map_file_cow(const char *path, uint64_t guest_address);

  // The guest counter (guest_counter.cpp): host-owned, guest-readable.
  uint64_t counter_increment();
  uint64_t counter_decrement();
  uint64_t counter_value() const { return counter_.load(); }

  // The guest's function table as its READY message declared it. Calls only
  // read it; a restore onto another baseline replaces it, which also ends
  // the life of the entries guest_function() returned. So: any thread, also
  // during a call, but not during restore() or call_and_restore().
  const GuestInterface &guest_interface() const { return guest_; }
  size_t guest_function_count() const { return guest_function_order_.size(); }
  // The index-th function in name order (O(1)); null at or past the count.
  const GuestInterface::Function *guest_function(size_t index) const {
    return index < guest_function_order_.size() ? guest_function_order_[index] : nullptr;
  }

  std::shared_ptr<InterruptControl> interrupt_control() const { return interrupt_; }
  const mem::Layout &layout() const { return layout_; }
  // Host view of guest memory (internal: tests use it to break things a
  // guest cannot, such as the IDT).
  const mem::GuestMemory &memory() const { return memory_; }
  // The vCPU's registers now (internal: the snapshot tests compare them).
  kvm::VcpuState vcpu_state() {
    load_pending_fpu();
    return vcpu_.capture_state();
  }

  // An ELF core of the guest as it is between calls (debug_stops.cpp).
  // Throws Error(HL_ERROR_IO) naming the path.
  void write_crash_dump(const std::string &path);

 private:
  Sandbox(const SandboxServices &services, const SandboxConfig &config, const mem::Layout &layout);
  // Guest memory as three KVM slots; log_writes turns on dirty tracking.
  void map_memory_slots(bool log_writes);
  // One map while busy_ is held, then an MMU reload (map_calls.cpp). memory
  // is the caller's reference: it outlives busy_, and after a failure it is
  // the last one.
  void add_mapping(const std::shared_ptr<const MappedMemory> &memory, uint64_t guest_address, uint32_t flags,
                   std::string name);
  // After the page tables changed (map_calls.cpp).
  void reload_guest_mmu();
  void boot(const mem::ElfImage &image);
  void initialise_guest(uint64_t timeout_ns);

  // A run's limits in nanoseconds; 0: none.
  struct Limits {
    uint64_t timeout_ns = 0;
    uint64_t cpu_budget_ns = 0;
  };
  Limits limits_for(const CallSettings &settings) const;
  // call() once busy_ is held (call_and_restore holds it for the whole request).
  [[nodiscard]] Failure call_while_busy(std::string_view function, const Val *args, size_t nargs, Val *result,
                                        const Limits &limits);
  // Runs the vCPU until the guest exits on HL_PORT_DONE, serving host calls
  // and prints on the way. A kill, timeout or CPU budget is returned; any
  // other stop throws. Both poison.
  [[nodiscard]] Failure run_until_done(const Limits &limits);
  void serve_host_call();
  void serve_print();
  void serve_log();
  [[noreturn]] void fail_guest_exception(uint8_t vector);

  // Measures exit cost on this sandbox's own vCPU (exit_floor.h, benchmarks).
  friend class ExitFloor;
  // Entry to the guest's dispatch on a clean stack, through sync_regs (no
  // ioctl): the next KVM_RUN starts a call.
  void write_entry_registers();

  // Debugging (debug_stops.cpp). The stub, when the config names a gdb port;
  // its stops run on the calling thread inside run_until_done.
  friend class SandboxDebugTarget;
  std::unique_ptr<debug::GdbStub> gdb_;
  void attach_debugger_if_configured(const SandboxConfig &config);
  // After KVM_RUN returned EINTR: a stop gdb asked for (Ctrl-C, the first
  // instruction). At the start of each run: make the first KVM_RUN return
  // at once when gdb waits for a stop.
  void prepare_debug_stops();
  void debug_stop_after_interrupt();
  // An exception exit while a debugger session is on: true when the guest
  // resumes (a breakpoint or step), false when the call must fail.
  bool debug_exception(uint8_t vector);
  void with_breakpoints_lifted(const std::function<void()> &body);
  void reinsert_breakpoints_after_restore();
  // Crash dumps: where, and the core's name counter (names stay unique).
  std::string crashdump_dir_;
  uint64_t crash_dumps_written_ = 0;
  // Writes a core if a directory is set; returns " (core dump: PATH)", or
  // why none was written, for the failure's message. vector: the stop was
  // in the exception stub (its frame holds the guest's registers).
  std::string dump_core_for_failure(std::optional<uint8_t> vector, int signal);
  void write_core(const std::string &path, std::optional<uint8_t> vector, int signal);
  // AT_PHDR, AT_ENTRY, ... of the loaded guest, for gdb and core files.
  debug::Auxv guest_auxv() const;
  // "call to 'Add'" or "guest initialisation", for messages.
  std::string what_is_running() const;
  [[noreturn]] void fail_abort(uint32_t code);
  [[noreturn]] void poison_and_throw(ErrorCode code, const std::string &message) { throw poison(code, message); }
  // Poisons the sandbox and returns the failure to report.
  Error poison(ErrorCode code, const std::string &message);
  // Answer the guest's host call in the input buffer; a result that does
  // not fit becomes a TOO_LARGE error, and an error that does not fit poisons.
  void write_result(const hl_wire_val &result);
  void write_error(ErrorCode code, const std::string &message);
  std::span<const uint8_t> output_buffer() const;

  // Accounting (call_accounting.cpp): what the running call did, for its
  // stats, the engine's metrics and span events. A CallScope brackets each
  // call; "detailed" (stats asked for, a CPU budget, or a span callback)
  // adds the thread's CPU clock and host-function timings.
  class CallScope;
  CallCounts counts_;
  bool detailed_accounting_ = false;
  uint64_t id_ = 0;
  struct HostCallMark {
    uint64_t wall_ns = 0;
    uint64_t cpu_ns = 0;
  };
  bool span_enabled() const;
  HostCallMark begin_host_call(const std::string &name);
  void end_host_call(const HostCallMark &mark, const std::string &name, bool failed);
  void emit_span(SpanKind kind, std::string_view name, uint64_t start_ns, uint64_t duration_ns, ErrorCode error,
                 const CallStats *stats) const;
  // Guest output: to the print callback up to print_limit_ per call, or stdout.
  GuestPrintCallback print_callback_;
  uint64_t print_limit_ = SandboxConfig::kDefaultPrintLimit;
  // A restore that counts in the metrics and the running call's counts.
  void restore_recorded(const std::shared_ptr<const Snapshot> &snapshot);

  // Declaration order = reverse destruction order. The machine (VM and
  // vCPU) goes back to the pool in ~Sandbox, before the memory it maps.
  SandboxServices services_;
  const kvm::KvmSystem *kvm_ = services_.kvm.get();
  mem::Layout layout_;
  mem::GuestMemory memory_;
  kvm::Machine machine_;
  kvm::Vm &vm_ = machine_.vm;
  kvm::Vcpu &vcpu_ = machine_.vcpu;

  // A restore's x87/SSE state, left in the PEB for the guest's call entry to
  // load (abi/hl_abi.h, fpu_restore): a restore then costs no vCPU ioctl
  // for it (~4.5 us here). guest_fpu_restore.cpp. Null: nothing pending.
  std::shared_ptr<const Snapshot> fpu_for_guest_;
  void leave_fpu_for_guest(const std::shared_ptr<const Snapshot> &snapshot);
  // The guest ran its entry (any exit after it): the state is loaded.
  void guest_loaded_fpu() {
    if (fpu_for_guest_ != nullptr) clear_fpu_request();
  }
  // Whatever reads or replaces the vCPU's state next (a snapshot, a core,
  // a full restore) sees the pending state: loaded now, with the ioctl.
  void load_pending_fpu();
  void clear_fpu_request();

  // Restore tracking: what may differ from the baseline snapshot
  // (restore_tracker.h); the call path and mapped regions report the
  // host's writes to it.
  RestoreTracker tracker_;
  bool logging_writes_ = false;     // the memory slots have KVM_MEM_LOG_DIRTY_PAGES
  bool vcpu_state_unknown_ = true;  // only CPL3 code ran since the vCPU state was last set wholesale
  void harvest_dirty_ring();
  void start_tracking_from(const std::shared_ptr<const Snapshot> &baseline);
  // Both return the pages copied.
  uint64_t restore_memory(const Snapshot &baseline);
  uint64_t apply_snapshot(const std::shared_ptr<const Snapshot> &snapshot);
  // Throws SNAPSHOT_MISMATCH if snapshot cannot be restored here.
  void check_fits(const Snapshot &snapshot) const;

  // Mapped regions, and the regions faults are reported against. They use
  // the VM, the page tables in memory_ and tracker_, so they come after
  // them; and before host_functions_, so that on delete the host functions'
  // finalizers still run before the mapped regions' ones.
  MappedRegions mapped_regions_;
  std::shared_ptr<InterruptControl> interrupt_;
  // The guest's functions as its READY message declared them: calls are
  // checked against them before entering the guest, results after.
  void read_guest_functions(hl_wire_reader &r);
  // The declared signature the call was checked against; null when the
  // guest declared none for it (no table, or its fallback takes the call).
  const FunctionSignature *check_call_against_signature(const std::string &name, const Val *args, size_t nargs) const;
  GuestInterface guest_;
  // guest_.functions' entries in name order, for lookups by index; rebuilt
  // (index_guest_functions) whenever guest_ changes.
  std::vector<const GuestInterface::Function *> guest_function_order_;
  void index_guest_functions();

  HostFunctionRegistry host_functions_;
  GuestLogCallback log_callback_;
  LogLevel max_log_level_;
  uint64_t init_data_bytes_;
  uint64_t default_timeout_ns_;
  uint64_t default_cpu_budget_ns_;
  std::atomic<uint64_t> counter_{0};  // authoritative; mirrored into the PEB
  std::mutex counter_publish_mu_;
  void publish_counter();
  uint64_t reply_offset_ = 0;     // where host-call replies go in the input buffer
  std::string current_function_;  // for messages: "" during initialisation
  std::string poisoned_reason_;
  std::atomic<bool> busy_{false};
};

}  // namespace hl
