// Per-call accounting: each call's stats, the engine's metrics and span
// events (sandbox.h, "Accounting").
#include "sandbox/call_accounting.h"

#include <time.h>

#include <algorithm>
#include <string>

#include "common/error.h"
#include "sandbox/call_scope.h"
#include "sandbox/sandbox.h"

namespace hl {
namespace {

uint64_t read_clock(clockid_t clock) {
  struct timespec ts {};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

uint64_t monotonic_ns() { return read_clock(CLOCK_MONOTONIC); }
uint64_t thread_cpu_ns() { return read_clock(CLOCK_THREAD_CPUTIME_ID); }

Sandbox::CallScope::CallScope(Sandbox &sandbox, std::string_view function, const Limits &limits, CallStats *stats)
    : sandbox_(sandbox),
      function_(function),
      stats_(stats),
      detailed_(stats != nullptr || limits.cpu_budget_ns != 0 || sandbox.span_enabled()),
      start_ns_(monotonic_ns()) {}

void Sandbox::CallScope::begin() {
  sandbox_.counts_ = CallCounts{};
  sandbox_.detailed_accounting_ = detailed_;
  began_ = true;
  if (detailed_) cpu_start_ns_ = thread_cpu_ns();
  sandbox_.emit_span(SpanKind::kCallStart, function_, start_ns_, 0, ErrorCode{}, nullptr);
}

Sandbox::CallScope::~CallScope() {
  // The CPU clock first: its interval then lies inside the wall clock's.
  const uint64_t cpu = began_ && detailed_ ? thread_cpu_ns() - cpu_start_ns_ : 0;
  const uint64_t wall = monotonic_ns() - start_ns_;
  const CallCounts counts = began_ ? sandbox_.counts_ : CallCounts{};
  CallStats stats{};
  stats.wall_ns = wall;
  // One thread's CPU time cannot exceed the wall time; the two clocks'
  // granularity can make it look so by a few hundred nanoseconds.
  stats.guest_cpu_ns = std::min(cpu > counts.host_cpu_ns ? cpu - counts.host_cpu_ns : 0, wall);
  stats.host_function_ns = counts.host_wall_ns;
  stats.vm_exits = counts.vm_exits;
  stats.host_calls = counts.host_calls;
  stats.pages_restored = counts.pages_restored;
  stats.restore_ns = counts.restore_ns;
  stats.print_bytes = counts.print_bytes;
  stats.print_bytes_dropped = counts.print_bytes_dropped;
  if (stats_ != nullptr) *stats_ = stats;
  sandbox_.services_.metrics->record_call(MetricsRecorder::CallOutcome{failed_ ? &failure_ : nullptr, wall,
                                                                       counts.vm_exits, counts.host_calls,
                                                                       counts.print_bytes, counts.print_bytes_dropped});
  if (began_) {
    sandbox_.emit_span(SpanKind::kCallEnd, function_, start_ns_, wall, failed_ ? failure_ : ErrorCode{}, &stats);
    sandbox_.detailed_accounting_ = false;
  }
}

bool Sandbox::span_enabled() const { return services_.span_callback != nullptr && *services_.span_callback; }

void Sandbox::emit_span(SpanKind kind, std::string_view name, uint64_t start_ns, uint64_t duration_ns, ErrorCode error,
                        const CallStats *stats) const {
  if (!span_enabled()) return;
  const std::string terminated(name);  // the event's name is NUL-terminated; only paid with a span callback
  SpanEvent event{};
  event.kind = static_cast<uint32_t>(kind);
  event.error_code = error;
  event.name = terminated.c_str();
  event.name_len = name.size();
  event.sandbox_id = id_;
  event.start_ns = start_ns;
  event.duration_ns = duration_ns;
  event.stats = stats;
  try {
    (*services_.span_callback)(event);
  } catch (...) {
    // A tracer's failure must not fail the guest's call.
  }
}

Sandbox::HostCallMark Sandbox::begin_host_call(const std::string &name) {
  counts_.host_calls++;
  HostCallMark mark;
  if (!detailed_accounting_) return mark;
  mark.wall_ns = monotonic_ns();
  mark.cpu_ns = thread_cpu_ns();
  if (interrupt_->cpu_budget_armed()) interrupt_->enter_host_function(mark.cpu_ns);
  emit_span(SpanKind::kHostCallStart, name, mark.wall_ns, 0, ErrorCode{}, nullptr);
  return mark;
}

void Sandbox::end_host_call(const HostCallMark &mark, const std::string &name, bool failed) {
  if (!detailed_accounting_) return;
  const uint64_t cpu = thread_cpu_ns();
  const uint64_t wall = monotonic_ns() - mark.wall_ns;
  if (interrupt_->cpu_budget_armed()) interrupt_->leave_host_function(cpu);
  counts_.host_cpu_ns += cpu - mark.cpu_ns;
  counts_.host_wall_ns += wall;
  emit_span(SpanKind::kHostCallEnd, name, mark.wall_ns, wall, failed ? ErrorCode::kHostFunctionFailed : ErrorCode{},
            nullptr);
}

void Sandbox::restore_recorded(const std::shared_ptr<const Snapshot> &snapshot) {
  const uint64_t start = monotonic_ns();
  const uint64_t pages = apply_snapshot(snapshot);
  const uint64_t wall = monotonic_ns() - start;
  services_.metrics->record_restore(pages, wall);
  counts_.pages_restored += pages;
  counts_.restore_ns += wall;
}

}  // namespace hl
