// An engine's counters and histograms (hl_engine_metrics). The engine owns
// one; its sandboxes and their interrupt controls (which may outlive the
// engine, hence shared ownership) add to it on the call path with relaxed
// atomic adds and no lock. read() takes a snapshot the same way, so values
// read while calls run may be a call apart from each other.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/api_types.h"
#include "common/duration_histogram.h"

namespace hl {

class MetricsRecorder {
 public:
  static constexpr size_t kErrorCodes = static_cast<size_t>(MetricsSize::kErrorCodes);
  static constexpr size_t kOrigins = static_cast<size_t>(MetricsSize::kOrigins);
  static_assert(DurationHistogram::kBuckets == static_cast<size_t>(MetricsSize::kHistogramBuckets));

  // One guest call as it ended; failure is nullptr on success.
  struct CallOutcome {
    const ErrorCode *failure;
    uint64_t wall_ns;
    uint64_t vm_exits;
    uint64_t host_calls;
    uint64_t print_bytes;
    uint64_t print_bytes_dropped;
  };
  void record_call(const CallOutcome &call) {
    add(calls_, 1);
    call_duration_.record(call.wall_ns);
    if (call.vm_exits != 0) add(vm_exits_, call.vm_exits);
    if (call.host_calls != 0) add(host_calls_, call.host_calls);
    if (call.print_bytes != 0) add(print_bytes_, call.print_bytes);
    if (call.print_bytes_dropped != 0) add(print_bytes_dropped_, call.print_bytes_dropped);
    if (call.failure != nullptr) {
      add(call_failures_, 1);
      const auto code = static_cast<size_t>(*call.failure);
      add(failures_by_code_[code < kErrorCodes ? code : 0], 1);  // slot 0: a code past the table (never expected)
    }
  }
  // Printing outside calls (the guest's initialisation).
  void record_print(uint64_t bytes, uint64_t dropped) {
    add(print_bytes_, bytes);
    add(print_bytes_dropped_, dropped);
  }
  void record_restore(uint64_t pages, uint64_t wall_ns) {
    add(restores_, 1);
    add(pages_restored_, pages);
    restore_duration_.record(wall_ns);
  }
  void record_kill(KillResult result) { add(result == KillResult::kInterrupted ? kills_ : stale_kills_, 1); }
  void record_created(SandboxOrigin origin, uint64_t wall_ns) {
    add(sandboxes_created_[static_cast<size_t>(origin)], 1);
    create_duration_.record(wall_ns);
  }
  void record_deleted() { add(sandboxes_deleted_, 1); }

  Metrics read() const {
    Metrics m{};
    m.calls = load(calls_);
    m.call_failures = load(call_failures_);
    m.kills = load(kills_);
    m.stale_kills = load(stale_kills_);
    m.host_calls = load(host_calls_);
    m.vm_exits = load(vm_exits_);
    m.restores = load(restores_);
    m.pages_restored = load(pages_restored_);
    m.sandboxes_deleted = load(sandboxes_deleted_);
    m.print_bytes = load(print_bytes_);
    m.print_bytes_dropped = load(print_bytes_dropped_);
    for (size_t i = 0; i < kOrigins; i++) m.sandboxes_created[i] = load(sandboxes_created_[i]);
    for (size_t i = 0; i < kErrorCodes; i++) m.failures_by_code[i] = load(failures_by_code_[i]);
    call_duration_.read(m.call_duration);
    restore_duration_.read(m.restore_duration);
    create_duration_.read(m.create_duration);
    return m;
  }

 private:
  using Counter = std::atomic<uint64_t>;
  static void add(Counter &c, uint64_t n) { c.fetch_add(n, std::memory_order_relaxed); }
  static uint64_t load(const Counter &c) { return c.load(std::memory_order_relaxed); }

  Counter calls_{0}, call_failures_{0}, kills_{0}, stale_kills_{0}, host_calls_{0}, vm_exits_{0};
  Counter restores_{0}, pages_restored_{0}, sandboxes_deleted_{0}, print_bytes_{0}, print_bytes_dropped_{0};
  Counter sandboxes_created_[kOrigins] = {};
  Counter failures_by_code_[kErrorCodes] = {};
  DurationHistogram call_duration_, restore_duration_, create_duration_;
};

}  // namespace hl
