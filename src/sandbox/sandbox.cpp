// Calls into the guest and the exit loop that serves the guest's requests.
#include "sandbox/sandbox.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "abi/hl_abi.h"
#include "abi/hl_wire.h"
#include "common/error.h"
#include "debug/stop_signal.h"
#include "protocol/message_header.h"
#include "protocol/values.h"
#include "sandbox/busy_guard.h"
#include "sandbox/call_scope.h"
#include "sandbox/deadline_timer.h"
#include "sandbox/fault_report.h"
#include "x86/system_tables.h"

namespace hl {
namespace {

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

// One run of the vCPU: its generation, and its deadline and CPU budget
// while it lasts (limits of 0 are none).
class RunGuard {
 public:
  RunGuard(const std::shared_ptr<InterruptControl> &ic, DeadlineTimer &timer, uint64_t timeout_ns,
           uint64_t cpu_budget_ns)
      : ic_(*ic), timer_(timer) {
    const uint64_t generation = ic_.begin_run();
    if (timeout_ns == 0 && cpu_budget_ns == 0) return;  // the common case reads no clock
    const auto now = DeadlineTimer::Clock::now();
    if (timeout_ns != 0) deadline_id_ = timer_.schedule(now + std::chrono::nanoseconds(timeout_ns), ic, generation);
    if (cpu_budget_ns != 0) {
      ic_.arm_cpu_budget(cpu_budget_ns, thread_cpu_ns());
      // CPU time never runs faster than the wall clock: nothing to check before.
      budget_id_ = timer_.schedule_cpu_budget_check(now + std::chrono::nanoseconds(cpu_budget_ns), ic, generation);
    }
  }
  ~RunGuard() {
    if (deadline_id_ != 0) timer_.cancel(deadline_id_);
    if (budget_id_ != 0) timer_.cancel(budget_id_);
    ic_.end_run();
  }
  RunGuard(const RunGuard &) = delete;
  RunGuard &operator=(const RunGuard &) = delete;

 private:
  InterruptControl &ic_;
  DeadlineTimer &timer_;
  uint64_t deadline_id_ = 0;
  uint64_t budget_id_ = 0;
};

// A limit of kUnlimitedFromNs or more is none, like 0.
uint64_t effective_limit(uint64_t ns) { return ns < SandboxConfig::kUnlimitedFromNs ? ns : 0; }

std::string what_ran(const std::string &function) {
  return function.empty() ? std::string("guest initialisation") : format("call to '%s'", function.c_str());
}

// Codes a guest may report for its own function; anything else becomes
// HL_ERROR_GUEST_ERROR so a guest cannot impersonate host-side failures.
ErrorCode accepted_guest_code(uint32_t number) {
  const auto code = static_cast<ErrorCode>(number);
  switch (code) {
    case ErrorCode::kGuestFunctionNotFound:
    case ErrorCode::kHostFunctionNotFound:
    case ErrorCode::kHostFunctionFailed:
    case ErrorCode::kParameterTypeMismatch:
    case ErrorCode::kParameterCountMismatch:
    case ErrorCode::kTooLarge:
    case ErrorCode::kGuestError: return code;
    default: return ErrorCode::kGuestError;
  }
}

std::string text(const uint8_t *ptr, uint32_t len) {
  return ptr == nullptr ? std::string() : std::string(reinterpret_cast<const char *>(ptr), len);
}

}  // namespace

void Sandbox::register_host_function(std::unique_ptr<HostFunction> fn) {
  // Registering mid-call would change the registry under a running callback.
  BusyGuard busy(busy_);
  host_functions_.add(std::move(fn));
}

std::span<const uint8_t> Sandbox::output_buffer() const {
  uint64_t size = std::min<uint64_t>(layout_.output_buffer_size, UINT32_MAX);
  return memory_.span(layout_.output_buffer, size);
}

Sandbox::Limits Sandbox::limits_for(const CallSettings &settings) const {
  return Limits{effective_limit(settings.timeout_ns.value_or(default_timeout_ns_)),
                effective_limit(settings.cpu_budget_ns.value_or(default_cpu_budget_ns_))};
}

Failure Sandbox::try_call(std::string_view function, const Val *args, size_t nargs, Val *result,
                          const CallSettings &settings, CallStats *stats) {
  if (result != nullptr) *result = Val{};
  const Limits limits = limits_for(settings);
  std::optional<BusyGuard> busy;  // released after the scope has recorded the call
  CallScope scope(*this, function, limits, stats);
  return scope.run([&] {
    busy.emplace(busy_);
    scope.begin();
    return call_while_busy(function, args, nargs, result, limits);
  });
}

Failure Sandbox::call_while_busy(std::string_view function, const Val *args, size_t nargs, Val *result,
                                 const Limits &limits) {
  if (!poisoned_reason_.empty())
    throw Error(ErrorCode::kPoisoned,
                "sandbox is poisoned (" + poisoned_reason_ +
                    "); its state is unknown: restore a snapshot (hl_sandbox_restore) or delete it");
  std::string name(function);
  if (name.empty() || name.size() > HL_WIRE_MAX_NAME)
    throw Error(ErrorCode::kInvalidArgument, "hl_call: function name must be 1 to 255 bytes");
  if (nargs > HL_WIRE_MAX_ARGS)
    throw Error(ErrorCode::kInvalidArgument, format("hl_call: %zu arguments, at most %u", nargs, HL_WIRE_MAX_ARGS));
  if (nargs != 0 && args == nullptr) throw Error(ErrorCode::kInvalidArgument, "hl_call: args is NULL");

  hl_wire_writer w;
  uint64_t input_size = std::min<uint64_t>(layout_.input_buffer_size, UINT32_MAX);
  hl_wire_begin(&w, memory_.span(layout_.input_buffer, input_size).data(), static_cast<uint32_t>(input_size),
                HL_MSG_CALL);
  // Host writes are invisible to KVM's dirty ring: record how far this one
  // reached, also when it fails half-way (restores copy that much back).
  struct NoteWritten {
    RestoreTracker &tracker;
    const hl_wire_writer &writer;
    ~NoteWritten() { tracker.note_input_written(writer.pos); }
  } note_written{tracker_, w};
  hl_wire_put_str(&w, name.data(), static_cast<uint32_t>(name.size()));
  hl_wire_put_u8(&w, static_cast<uint8_t>(nargs));
  for (size_t i = 0; i < nargs; i++) {
    hl_wire_val v;
    try {
      v = to_wire(args[i], "");  // the message is built only on failure: this loop is on the call path
    } catch (const Error &e) {
      throw Error(e.code(), format("hl_call('%s') argument %zu: %s", name.c_str(), i, e.what()));
    }
    hl_wire_put_val(&w, &v);
  }
  // After every argument's own validity; one lookup also serves the result.
  const FunctionSignature *declared = check_call_against_signature(name, args, nargs);
  uint32_t len = hl_wire_end(&w);
  if (len == 0)
    throw Error(ErrorCode::kTooLarge,
                format("hl_call('%s'): the call needs %u bytes but the input buffer holds %llu; raise it with "
                       "hl_config_set_input_buffer_size",
                       name.c_str(), w.needed, ull(input_size)));

  current_function_ = name;
  reply_offset_ = hl_wire_align8(len);
  write_entry_registers();
  if (Failure stopped = run_until_done(limits)) return stopped;

  hl_wire_reader r;
  std::span<const uint8_t> out = output_buffer();
  uint8_t type = hl_wire_open(&r, out.data(), static_cast<uint32_t>(out.size()));
  if (type == HL_MSG_RESULT) {
    hl_wire_val v;
    if (!hl_wire_get_val(&r, &v) || !hl_wire_done(&r))
      poison_and_throw(ErrorCode::kProtocol, format("guest function '%s' returned a malformed result", name.c_str()));
    if (declared != nullptr && declared->result != val_kind(v.kind))
      poison_and_throw(ErrorCode::kProtocol, format("guest function '%s' returned %s but declared %s", name.c_str(),
                                                    kind_name(v.kind), kind_name(declared->result)));
    if (result != nullptr) *result = from_wire(v, true);
    return std::nullopt;
  }
  if (type == HL_MSG_ERROR) {
    uint32_t code = hl_wire_get_u32(&r);
    const uint8_t *msg = nullptr;
    uint32_t msg_len = 0;
    if (!hl_wire_get_str(&r, &msg, &msg_len) || !hl_wire_done(&r))
      poison_and_throw(ErrorCode::kProtocol, format("guest function '%s' returned a malformed error", name.c_str()));
    ErrorCode mapped = accepted_guest_code(code);
    std::string message = format("guest function '%s' failed: ", name.c_str()) + text(msg, msg_len);
    if (static_cast<uint32_t>(mapped) != code) message += format(" (guest error code %u)", code);
    if (mapped == ErrorCode::kTooLarge)
      message += format(" (output buffer: %llu bytes; raise it with hl_config_set_output_buffer_size)",
                        ull(layout_.output_buffer_size));
    return Error(mapped, message);
  }
  poison_and_throw(ErrorCode::kProtocol,
                   format("guest function '%s' finished without a result", name.c_str()) +
                       (type == 0 ? output_header_fault(type, out) : format(" (message type %u)", type)));
}

void Sandbox::write_entry_registers() {
  kvm_regs &regs = vcpu_.sync_regs();
  regs = kvm_regs{};
  regs.rip = guest_.dispatch_address;
  regs.rsp = layout_.stack_top - 8;
  regs.rflags = 0x2;
  vcpu_.mark_sync_regs_dirty();
}

void Sandbox::index_guest_functions() {
  guest_function_order_.clear();
  guest_function_order_.reserve(guest_.functions.size());
  for (const GuestInterface::Function &fn : guest_.functions) guest_function_order_.push_back(&fn);
}

const FunctionSignature *Sandbox::check_call_against_signature(const std::string &name, const Val *args,
                                                               size_t nargs) const {
  if (!guest_.functions_known) return nullptr;
  auto it = guest_.functions.find(name);
  if (it == guest_.functions.end()) {
    if (guest_.has_fallback) return nullptr;  // the guest's fallback decides
    throw Error(ErrorCode::kGuestFunctionNotFound, format("hl_call: the guest has no function '%s'", name.c_str()));
  }
  const FunctionSignature &fn = it->second;
  if (nargs != fn.params.size())
    throw Error(ErrorCode::kParameterCountMismatch,
                format("hl_call('%s'): takes %zu arguments, got %zu", name.c_str(), fn.params.size(), nargs));
  for (size_t i = 0; i < nargs; i++)
    if (args[i].kind != fn.params[i])
      throw Error(ErrorCode::kParameterTypeMismatch,
                  format("hl_call('%s'): parameter %zu expects %s, got %s", name.c_str(), i, kind_name(fn.params[i]),
                         kind_name(args[i].kind)));
  return &fn;
}

std::string Sandbox::what_is_running() const { return what_ran(current_function_); }

Failure Sandbox::run_until_done(const Limits &limits) {
  // Time spent stopped in gdb is not the guest's: no limits while debugging.
  const bool debugging = gdb_ != nullptr && gdb_->session_active();
  const uint64_t timeout_ns = debugging ? 0 : limits.timeout_ns;
  RunGuard running(interrupt_, *services_.deadline_timer, timeout_ns, debugging ? 0 : limits.cpu_budget_ns);
  if (debugging) prepare_debug_stops();
  kvm_run *run = vcpu_.run_state();
  for (;;) {
    switch (interrupt_->cancel_reason()) {
      case CancelReason::kNone: break;
      case CancelReason::kKilled:
        return poison(ErrorCode::kCancelled, what_ran(current_function_) + " was cancelled by hl_kill");
      case CancelReason::kTimedOut:
        return poison(
            ErrorCode::kTimeout,
            format("%s exceeded its time limit of %.3f ms%s", what_ran(current_function_).c_str(), timeout_ns / 1e6,
                   current_function_.empty() ? "; raise it with hl_config_set_init_timeout_ns" : ""));
      case CancelReason::kCpuBudget:
        return poison(ErrorCode::kCpuBudgetExceeded,
                      format("%s used up its CPU budget of %.3f ms (guest CPU time; host functions do not count); "
                             "raise it with hl_config_set_call_cpu_budget_ns or per call with hl_call_ex",
                             what_ran(current_function_).c_str(), limits.cpu_budget_ns / 1e6));
    }
    interrupt_->set_in_guest(true);
    int rc = vcpu_.run();
    interrupt_->set_in_guest(false);
    if (rc == -EINTR || rc == -EAGAIN) {
      interrupt_->clear_immediate_exit();
      if (gdb_ != nullptr) debug_stop_after_interrupt();  // gdb's Ctrl-C, or its first stop
      continue;                                           // the cancel check above decides; EINTR alone means nothing
    }
    if (rc < 0) poison_and_throw(ErrorCode::kHypervisor, errno_message("KVM_RUN", -rc));
    counts_.vm_exits++;

    switch (run->exit_reason) {
      case KVM_EXIT_IO: {
        guest_loaded_fpu();  // its call entry ran before any I/O
        const uint16_t port = run->io.port;
        if (run->io.direction != KVM_EXIT_IO_OUT)
          poison_and_throw(ErrorCode::kProtocol, format("guest read from port 0x%x", port));
        if (run->io.count != 1 || run->io.data_offset + 4 > kvm_->vcpu_mmap_size())
          poison_and_throw(ErrorCode::kProtocol, format("guest used a string I/O instruction on port 0x%x", port));
        const uint8_t *data = reinterpret_cast<const uint8_t *>(run) + run->io.data_offset;
        if (port == HL_PORT_EXCEPTION && run->io.size == 1) {
          if (debug_exception(data[0])) break;  // a breakpoint or step: the guest goes on
          fail_guest_exception(data[0]);
        }
        if (run->io.size != 4)
          poison_and_throw(ErrorCode::kProtocol,
                           format("guest wrote %u bytes to port 0x%x; the ABI uses 4", run->io.size, port));
        uint32_t value;
        std::memcpy(&value, data, sizeof value);
        switch (port) {
          case HL_PORT_DONE: return std::nullopt;
          case HL_PORT_CALL_HOST: serve_host_call(); break;
          case HL_PORT_PRINT: serve_print(); break;
          case HL_PORT_LOG: serve_log(); break;
          case HL_PORT_ABORT: fail_abort(value);
          default: poison_and_throw(ErrorCode::kProtocol, format("guest wrote to unknown port 0x%x", port));
        }
        break;
      }
      case KVM_EXIT_DIRTY_RING_FULL:
        // Keep what KVM logged, then let it log again (snapshot_restore.cpp).
        harvest_dirty_ring();
        vm_.reset_dirty_rings();
        break;
      case KVM_EXIT_SHUTDOWN:
        poison_and_throw(ErrorCode::kTripleFault,
                         "guest vCPU shut down (triple fault)" + dump_core_for_failure(std::nullopt, SIGSEGV));
      case KVM_EXIT_MMIO:
        poison_and_throw(ErrorCode::kGuestException,
                         format("guest %s unbacked guest-physical address 0x%llx",
                                run->mmio.is_write ? "wrote to" : "read from", ull(run->mmio.phys_addr)));
      case KVM_EXIT_INTERNAL_ERROR:
        poison_and_throw(ErrorCode::kUnexpectedExit,
                         format("KVM internal error (suberror %u) while running the guest", run->internal.suberror));
      case KVM_EXIT_FAIL_ENTRY:
        poison_and_throw(ErrorCode::kUnexpectedExit, format("KVM could not enter the guest (hardware reason 0x%llx)",
                                                            ull(run->fail_entry.hardware_entry_failure_reason)));
      default: poison_and_throw(ErrorCode::kUnexpectedExit, format("unexpected vCPU exit reason %u", run->exit_reason));
    }
  }
}

void Sandbox::write_result(const hl_wire_val &result) {
  uint64_t input_size = std::min<uint64_t>(layout_.input_buffer_size, UINT32_MAX);
  uint8_t *base = memory_.span(layout_.input_buffer, input_size).data() + reply_offset_;
  uint32_t space = static_cast<uint32_t>(input_size - reply_offset_);
  hl_wire_writer w;
  hl_wire_begin(&w, base, space, HL_MSG_RESULT);
  hl_wire_put_val(&w, &result);
  uint32_t written = hl_wire_end(&w);
  tracker_.note_input_written(reply_offset_ + w.pos);  // also a partial write: the host wrote it, KVM did not log it
  if (written != 0) return;
  write_error(ErrorCode::kTooLarge, format("host function result needs %u bytes but only %u are free in the "
                                           "input buffer; raise it with hl_config_set_input_buffer_size",
                                           w.needed, space));
}

void Sandbox::write_error(ErrorCode code, const std::string &message) {
  uint64_t input_size = std::min<uint64_t>(layout_.input_buffer_size, UINT32_MAX);
  uint8_t *base = memory_.span(layout_.input_buffer, input_size).data() + reply_offset_;
  uint32_t space = static_cast<uint32_t>(input_size - reply_offset_);
  hl_wire_writer w;
  uint32_t text_len = static_cast<uint32_t>(std::min<size_t>(message.size(), space / 2));
  hl_wire_begin(&w, base, space, HL_MSG_ERROR);
  hl_wire_put_u32(&w, static_cast<uint32_t>(code));
  hl_wire_put_str(&w, message.data(), text_len);
  uint32_t written = hl_wire_end(&w);
  tracker_.note_input_written(reply_offset_ + w.pos);
  // Not even an error fits: the guest cannot be told, so its state is unknown.
  if (written == 0)
    poison_and_throw(ErrorCode::kTooLarge,
                     format("a host function's reply does not fit: only %u bytes of the %llu-byte input buffer are "
                            "left after the call, too few even for an error; raise it with "
                            "hl_config_set_input_buffer_size",
                            space, ull(input_size)));
}

void Sandbox::serve_host_call() {
  std::span<const uint8_t> out = output_buffer();
  hl_wire_reader r;
  const uint8_t *name_ptr = nullptr;
  uint32_t name_len = 0;
  hl_wire_val wargs[HL_WIRE_MAX_ARGS];
  uint8_t type = hl_wire_open(&r, out.data(), static_cast<uint32_t>(out.size()));
  bool ok = type == HL_MSG_CALL && hl_wire_get_str(&r, &name_ptr, &name_len);
  uint8_t nargs = hl_wire_get_u8(&r);
  ok = ok && nargs <= HL_WIRE_MAX_ARGS;
  for (uint8_t i = 0; ok && i < nargs; i++) ok = hl_wire_get_val(&r, &wargs[i]) != 0;
  if (!ok || !hl_wire_done(&r))
    poison_and_throw(ErrorCode::kProtocol, "guest made a malformed host call" + output_header_fault(type, out));
  std::string name = text(name_ptr, name_len);

  const HostFunction *fn = host_functions_.find(name);
  if (fn == nullptr) {
    write_error(ErrorCode::kHostFunctionNotFound, format("host function '%s' is not registered", name.c_str()));
    return;
  }
  if (nargs != fn->params().size()) {
    write_error(ErrorCode::kParameterCountMismatch,
                format("host function '%s' takes %zu arguments, the guest passed %u", name.c_str(), fn->params().size(),
                       nargs));
    return;
  }
  Val args[HL_WIRE_MAX_ARGS];
  for (uint8_t i = 0; i < nargs; i++) {
    if (val_kind(wargs[i].kind) != fn->params()[i]) {
      write_error(ErrorCode::kParameterTypeMismatch,
                  format("host function '%s' parameter %u is %s, the guest passed %s", name.c_str(), i,
                         kind_name(fn->params()[i]), kind_name(wargs[i].kind)));
      return;
    }
    args[i] = from_wire(wargs[i], false);  // borrows guest memory for the callback's duration
  }

  Val result{};
  // Whatever the callback left in result is freed on every way out, also
  // when write_error poisons and throws.
  struct ReleaseResult {
    Val &value;
    ~ReleaseResult() { release_value(&value); }
  } release_result{result};
  std::string failure;
  const HostCallMark mark = begin_host_call(name);
  try {
    fn->invoke(std::span<const Val>(args, nargs), result);
  } catch (const Error &e) {
    failure = format("host function '%s' failed: %s", name.c_str(), e.what());
  } catch (...) {
    failure = format("host function '%s' failed: host function threw a C++ exception", name.c_str());
  }
  end_host_call(mark, name, !failure.empty());
  if (!failure.empty()) {
    write_error(ErrorCode::kHostFunctionFailed, failure);
    return;
  }
  if (result.kind != fn->result_kind()) {
    write_error(ErrorCode::kHostFunctionFailed,
                format("host function '%s' returned %s but was registered to return %s", name.c_str(),
                       kind_name(result.kind), kind_name(fn->result_kind())));
    return;
  }
  // A void host function answers with a void RESULT (kind only, no payload);
  // to_wire is for values that carry one, and refuses void as an argument.
  hl_wire_val wresult{};  // kind HL_WIRE_VOID
  if (result.kind != ValKind::kVoid) {
    try {
      wresult = to_wire(result, "host function result");
    } catch (const Error &e) {
      write_error(ErrorCode::kHostFunctionFailed, format("host function '%s': %s", name.c_str(), e.what()));
      return;
    }
  }
  write_result(wresult);
}

void Sandbox::serve_print() {
  std::span<const uint8_t> out = output_buffer();
  hl_wire_reader r;
  const uint8_t *ptr = nullptr;
  uint32_t len = 0;
  uint8_t type = hl_wire_open(&r, out.data(), static_cast<uint32_t>(out.size()));
  if (type != HL_MSG_PRINT || !hl_wire_get_str(&r, &ptr, &len) || !hl_wire_done(&r))
    poison_and_throw(ErrorCode::kProtocol, "guest sent a malformed print message" + output_header_fault(type, out));
  counts_.print_bytes += len;
  if (!print_callback_) {
    std::fwrite(ptr, 1, len, stdout);
    std::fflush(stdout);
    return;
  }
  // Up to the limit per call, to the byte; the rest is only counted.
  const uint64_t delivered = counts_.print_bytes - len - counts_.print_bytes_dropped;
  const uint64_t room = print_limit_ > delivered ? print_limit_ - delivered : 0;
  const uint64_t passed = std::min<uint64_t>(len, room);
  counts_.print_bytes_dropped += len - passed;
  if (passed == 0) return;
  try {
    print_callback_(std::string_view(reinterpret_cast<const char *>(ptr), passed));
  } catch (...) {
    // Where the embedder's output goes is its business: never the call's failure.
  }
}

void Sandbox::serve_log() {
  std::span<const uint8_t> out = output_buffer();
  hl_wire_reader r;
  const uint8_t *file = nullptr, *message = nullptr;
  uint32_t file_len = 0, message_len = 0;
  uint8_t type = hl_wire_open(&r, out.data(), static_cast<uint32_t>(out.size()));
  bool ok = type == HL_MSG_LOG;
  const uint8_t level_number = hl_wire_get_u8(&r);
  const auto level = static_cast<LogLevel>(level_number);
  uint32_t line = hl_wire_get_u32(&r);
  ok = ok && hl_wire_get_str(&r, &file, &file_len) && hl_wire_get_str(&r, &message, &message_len) && hl_wire_done(&r) &&
       level >= LogLevel::kError && level <= LogLevel::kTrace;
  if (!ok) poison_and_throw(ErrorCode::kProtocol, "guest sent a malformed log record" + output_header_fault(type, out));
  if (level > max_log_level_) return;  // the guest should not have sent it; it costs it nothing more
  const char *file_text = reinterpret_cast<const char *>(file);
  const char *message_text = reinterpret_cast<const char *>(message);
  if (log_callback_) {
    log_callback_(GuestLogRecord{level, std::string_view(file_text, file_len), line,
                                 std::string_view(message_text, message_len)});
    return;
  }
  static const char *const kLevelNames[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
  std::fprintf(stderr, "[hyperlight guest %s] %.*s:%u: %.*s\n", kLevelNames[level_number], static_cast<int>(file_len),
               file_text, line, static_cast<int>(message_len), message_text);
}

void Sandbox::fail_guest_exception(uint8_t vector) {
  // The CPU's frame sits at the exception stack's top, which the guest
  // cannot write (x86::exception_frame says where each word is).
  const x86::ExceptionFrame frame = x86::exception_frame(vector, layout_.exception_stack_top);
  auto word = [this](uint64_t gpa) {
    uint64_t value = 0;
    if (const uint8_t *p = memory_.translate(gpa, sizeof value)) std::memcpy(&value, p, sizeof value);
    return value;
  };
  const bool has_error_code = x86::vector_has_error_code(vector);
  const uint64_t error_code = has_error_code ? word(frame.error_code) : 0;
  const uint64_t rip = word(frame.rip);
  const uint64_t rsp = word(frame.rsp);
  std::string message =
      format("guest exception %s (vector %u) at RIP 0x%llx", x86::vector_name(vector), vector, ull(rip));
  if (vector == 14) {
    // Page faults get the precise verdict: stack overflow or access violation.
    FaultReport report =
        describe_page_fault(layout_, mapped_regions_.fault_regions(), vcpu_.get_sregs().cr2, error_code, rip);
    if (!current_function_.empty()) report.message += format(" in guest function '%s'", current_function_.c_str());
    poison_and_throw(report.code, report.message + dump_core_for_failure(vector, SIGSEGV));
  }
  if (has_error_code) message += format(" (error code 0x%llx)", ull(error_code));
  message += format(", RSP 0x%llx", ull(rsp));
  if (!current_function_.empty()) message += format(" in guest function '%s'", current_function_.c_str());
  poison_and_throw(ErrorCode::kGuestException,
                   message + dump_core_for_failure(vector, debug::signal_for_vector(vector)));
}

void Sandbox::fail_abort(uint32_t code) {
  std::string message = format("guest aborted with code %u", code);
  hl_wire_reader r;
  std::span<const uint8_t> out = output_buffer();
  const uint8_t *msg = nullptr;
  uint32_t len = 0;
  if (hl_wire_open(&r, out.data(), static_cast<uint32_t>(out.size())) == HL_MSG_ERROR) {
    hl_wire_get_u32(&r);
    if (hl_wire_get_str(&r, &msg, &len)) {
      message += ": " + text(msg, std::min<uint32_t>(len, HL_MAX_ABORT_MESSAGE));
      if (len > HL_MAX_ABORT_MESSAGE) message += "...[truncated]";
    }
  }
  if (!current_function_.empty()) message += format(" (in guest function '%s')", current_function_.c_str());
  poison_and_throw(ErrorCode::kGuestAborted, message + dump_core_for_failure(std::nullopt, SIGABRT));
}

Error Sandbox::poison(ErrorCode code, const std::string &message) {
  poisoned_reason_ = message;
  vcpu_state_unknown_ = true;  // a restore rewrites every register, not only the CPL3-visible ones
  return Error(code, message);
}

}  // namespace hl
