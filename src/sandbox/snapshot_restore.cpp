// Snapshots of a sandbox, restores onto it, and sandboxes made from one.
//
// Restore tracking (restore_tracker.h): after a snapshot or restore, the
// sandbox's memory equals its baseline snapshot's except for pages written
// since. The guest's writes are in KVM's dirty ring (the slots log writes;
// pages start write-protected, KVM records the first write to each).
// Harvested pages stay writable and stay tracked, so a guest with a steady
// working set pays the ~2.4 us write-protect fault per page once, not per
// request; every RestoreTracker::kResetInterval restores the set is emptied
// and the pages protected again, so pages a request touched once stop being
// copied.
#include <cstring>
#include <optional>

#include "abi/hl_abi.h"
#include "common/error.h"
#include "protocol/values.h"
#include "sandbox/busy_guard.h"
#include "sandbox/call_scope.h"
#include "sandbox/sandbox.h"

namespace hl {
namespace {

// "(i32, string) -> bool", for messages.
std::string signature_text(const std::vector<ValKind> &params, ValKind result) {
  std::string text = "(";
  for (size_t i = 0; i < params.size(); i++) text += (i == 0 ? "" : ", ") + std::string(kind_name(params[i]));
  return text + ") -> " + kind_name(result);
}

}  // namespace

void Sandbox::harvest_dirty_ring() {
  // Slot number -> first guest page of the slot (map_memory_slots).
  const uint64_t slot_first_page[3] = {1, layout_.stack / mem::kPageSize, layout_.exception_stack / mem::kPageSize};
  vcpu_.dirty_ring().harvest([&](uint32_t slot, uint64_t offset) {
    if (slot < 3) tracker_.note_guest_page(slot_first_page[slot] + offset);  // mapped regions are read-only
  });
}

void Sandbox::start_tracking_from(const std::shared_ptr<const Snapshot> &baseline) {
  if (kvm_->dirty_ring_entries() != 0) {
    if (!logging_writes_) map_memory_slots(true);  // write-protects every page it maps
    vcpu_.dirty_ring().harvest([](uint32_t, uint64_t) {});
    vm_.reset_dirty_rings();  // and protects again those the guest wrote since
  }
  tracker_.start(baseline);
}

std::shared_ptr<const Snapshot> Sandbox::snapshot() {
  BusyGuard busy(busy_);
  if (!poisoned_reason_.empty())
    throw Error(ErrorCode::kPoisoned, "hl_sandbox_snapshot: the sandbox is poisoned (" + poisoned_reason_ +
                                          "); its state is not worth keeping");
  load_pending_fpu();  // the snapshot holds the state the guest would start from
  auto snap = std::make_shared<Snapshot>();
  snap->layout = layout_;
  snap->fixed_regions = mapped_regions_.fixed_regions();
  snap->mapped_regions = mapped_regions_.regions();  // shares each region's memory
  snap->vcpu = vcpu_.capture_state();
  snap->guest = guest_;
  host_functions_.for_each([&](const HostFunction &fn) {
    snap->host_functions[fn.name()] = FunctionSignature{fn.params(), fn.result_kind()};
  });
  {
    std::lock_guard<std::mutex> lock(counter_publish_mu_);
    snap->counter = counter_.load();
    // The snapshot holds the guest's code, not the debugger's int3s.
    with_breakpoints_lifted([&] { snap->memory = SnapshotMemory::capture(memory_); });
  }
  std::shared_ptr<const Snapshot> shared = std::move(snap);
  start_tracking_from(shared);
  vcpu_state_unknown_ = false;
  return shared;
}

uint64_t Sandbox::restore_memory(const Snapshot &baseline) {
  harvest_dirty_ring();
  const RestoreTracker::Restored restored = tracker_.restore(baseline, memory_, layout_);
  if (restored.reprotect) vm_.reset_dirty_rings();  // and protect the pages again
  return restored.pages;
}

void Sandbox::check_fits(const Snapshot &snap) const {
  if (std::string diff = describe_layout_difference(snap.layout, layout_); !diff.empty())
    throw Error(ErrorCode::kSnapshotMismatch, "hl_sandbox_restore: the snapshot's memory layout does not fit: " + diff);
  check_host_functions(snap, host_functions_, "hl_sandbox_restore", "this sandbox has not registered",
                       "register it (hl_register) as it was when the snapshot was taken");
}

void Sandbox::check_host_functions(const Snapshot &snap, const HostFunctionRegistry &functions, const char *operation,
                                   const char *where, const char *remedy) {
  for (const auto &[name, want] : snap.host_functions) {
    const HostFunction *have = functions.find(name);
    if (have == nullptr)
      throw Error(ErrorCode::kSnapshotMismatch,
                  format("%s: the snapshot's guest may call host function '%s', which %s; %s", operation, name.c_str(),
                         where, remedy));
    if (have->params() != want.params || have->result_kind() != want.result)
      throw Error(ErrorCode::kSnapshotMismatch,
                  format("%s: host function '%s' has another signature than when the snapshot was taken (%s here, "
                         "%s then); %s",
                         operation, name.c_str(), signature_text(have->params(), have->result_kind()).c_str(),
                         signature_text(want.params, want.result).c_str(), remedy));
  }
}

void Sandbox::restore(const std::shared_ptr<const Snapshot> &snapshot) {
  BusyGuard busy(busy_);
  check_fits(*snapshot);  // refuse before changing anything
  restore_recorded(snapshot);
}

// Every check has passed: from here on a failure poisons the sandbox.
uint64_t Sandbox::apply_snapshot(const std::shared_ptr<const Snapshot> &snapshot) {
  const Snapshot &snap = *snapshot;
  uint64_t pages = 0;
  try {
    const bool tracked = tracker_.baseline() == snapshot && logging_writes_;
    {
      std::lock_guard<std::mutex> lock(counter_publish_mu_);  // the PEB holds the counter
      counter_.store(snap.counter);
      if (tracked) {
        pages = restore_memory(snap);
      } else {
        memory_.discard_all();
        snap.memory.copy_into_blank(memory_);
        pages = snap.memory.populated_bytes() / mem::kPageSize;
      }
    }
    if (!mapped_regions_.matches(snap)) mapped_regions_.replace_with(snap);
    if (!tracked) {
      // Against its baseline these never change (only initialisation and
      // restores set them): copied only when the baseline changes.
      mapped_regions_.set_fixed_regions(snap.fixed_regions);
      guest_function_order_.clear();  // points into guest_: never left dangling, even if a copy throws
      guest_ = snap.guest;
      index_guest_functions();
      start_tracking_from(snapshot);
    }
    if (vcpu_state_unknown_ || !tracked) {
      vcpu_.restore_all_state(snap.vcpu);
      clear_fpu_request();
    } else {
      vcpu_.restore_user_registers(snap.vcpu);
      leave_fpu_for_guest(snapshot);  // loaded by the guest's call entry, not an ioctl
    }
    vcpu_.run_state()->kvm_valid_regs = KVM_SYNC_X86_REGS;
    vcpu_state_unknown_ = false;
    current_function_.clear();
    reply_offset_ = 0;
    poisoned_reason_.clear();
    reinsert_breakpoints_after_restore();  // the restored code is the snapshot's
  } catch (const Error &e) {
    poisoned_reason_ = std::string("a restore failed: ") + e.what();
    vcpu_state_unknown_ = true;
    tracker_.forget();  // nothing is known about memory any more: the next restore copies everything
    throw;
  }
  return pages;
}

Failure Sandbox::try_call_and_restore(const std::shared_ptr<const Snapshot> &snapshot, std::string_view function,
                                      const Val *args, size_t nargs, Val *result, const CallSettings &settings,
                                      CallStats *stats) {
  if (result != nullptr) *result = Val{};
  const Limits limits = limits_for(settings);
  // Busy for the whole request: the check, the call and the restore. Another
  // thread's call can neither slip in between them (and see this one's
  // poisoning, or have its own state restored away) nor race with them.
  std::optional<BusyGuard> busy;  // released after the scope has recorded the request
  CallScope scope(*this, function, limits, stats);
  return scope.run([&] {
    busy.emplace(busy_);
    scope.begin();
    check_fits(*snapshot);  // once, and before the call runs
    if (poisoned()) restore_recorded(snapshot);
    Failure failure;
    try {
      failure = call_while_busy(function, args, nargs, result, limits);
    } catch (const Error &) {
      restore_recorded(snapshot);
      throw;
    }
    try {
      restore_recorded(snapshot);  // after a failure as after success
    } catch (...) {
      release_value(result);
      throw;
    }
    return failure;
  });
}

std::shared_ptr<const Snapshot> Sandbox::park() {
  std::shared_ptr<const Snapshot> baseline = tracker_.baseline();  // null once no handle can restore it
  if (baseline == nullptr || !logging_writes_ || !mapped_regions_.empty() || !baseline->mapped_regions.empty() ||
      gdb_ != nullptr)  // a debugged sandbox's stub belongs to its user
    return nullptr;
  interrupt_->detach();                      // the user's handles report HL_KILL_SANDBOX_GONE from now on
  host_functions_ = HostFunctionRegistry();  // finalizers run now, as on delete
  log_callback_ = nullptr;
  print_callback_ = nullptr;
  tracker_.release_baseline();
  return baseline;  // parked sandboxes do not keep their snapshot alive
}

void Sandbox::unpark(const SandboxConfig &config, const std::shared_ptr<const Snapshot> &snapshot) {
  interrupt_ = std::make_shared<InterruptControl>(vcpu_.run_state(), services_.interrupts, services_.metrics);
  id_ = services_.sandbox_ids != nullptr ? services_.sandbox_ids->fetch_add(1) + 1 : 0;  // a new user's sandbox
  host_functions_ = config.host_function_registry();
  log_callback_ = config.log_callback;
  print_callback_ = config.print_callback;
  print_limit_ = config.print_limit;
  max_log_level_ = config.effective_max_log_level();
  default_timeout_ns_ = config.call_timeout_ns;
  default_cpu_budget_ns_ = config.call_cpu_budget_ns;
  crashdump_dir_ = config.effective_crashdump_dir();
  tracker_.resume(snapshot);   // the snapshot it was parked for: its tracked pages still stand
  restore_recorded(snapshot);  // exact: the last user's pages and registers are gone
}

std::unique_ptr<Sandbox> Sandbox::create_cold_from_snapshot(const SandboxServices &services,
                                                            const SandboxConfig &config,
                                                            std::shared_ptr<const Snapshot> snapshot) {
  std::unique_ptr<Sandbox> sb(new Sandbox(services, config, snapshot->layout));
  // Fresh slots that log writes from the start: every page starts
  // write-protected. Then it is a restore onto an empty sandbox.
  sb->map_memory_slots(sb->kvm_->dirty_ring_entries() != 0);
  sb->apply_snapshot(snapshot);
  sb->attach_debugger_if_configured(config);  // gdb's first stop: the first call's first instruction
  return sb;
}

}  // namespace hl
