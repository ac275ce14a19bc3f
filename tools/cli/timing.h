// The summary of `run --repeat N`: how long the calls took, on the wall
// clock and in guest CPU time, and how often they left the guest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hlcli {

struct TimingSummary {
  uint64_t calls = 0;
  uint64_t min_ns = 0;
  uint64_t median_ns = 0;
  uint64_t p99_ns = 0;  // nearest rank: 99% of the calls took at most this
  uint64_t max_ns = 0;
  uint64_t mean_ns = 0;
};

// Of the calls' durations in nanoseconds; all zero for none.
TimingSummary summarize(std::vector<uint64_t> durations_ns);

// What one call cost: the fields of hl_call_stats_t the summary reports.
struct CallCost {
  uint64_t wall_ns = 0;
  uint64_t guest_cpu_ns = 0;
  uint64_t vm_exits = 0;
  uint64_t host_calls = 0;
};

struct RepeatSummary {
  TimingSummary wall;
  TimingSummary guest_cpu;
  uint64_t vm_exits = 0;  // of all the calls together
  uint64_t host_calls = 0;
};

RepeatSummary summarize_calls(const std::vector<CallCost> &costs);

// For stderr, one line per measure:
//   5 calls
//     wall time: min 19 us, median 19.9 us, p99 35.3 us (mean 21.2 us, max 58.7 us)
//     guest CPU: min 12.1 us, ...
//     per call:  2 VM exits, 0 host calls
std::string repeat_summary_text(const RepeatSummary &summary);

// {"calls", "min_ns", "median_ns", "p99_ns", "max_ns", "mean_ns" (wall
// time), "guest_cpu": {the same but calls}, "vm_exits_per_call",
// "host_calls_per_call"}.
std::string repeat_summary_json(const RepeatSummary &summary);

// total / calls to at most two decimals, without trailing zeros: "2",
// "1.5", "0.33"; "0" for no calls.
std::string per_call(uint64_t total, uint64_t calls);

}  // namespace hlcli
