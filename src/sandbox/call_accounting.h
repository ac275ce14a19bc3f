// What one call did, counted by the sandbox as it runs (hl_call_stats_t,
// the engine's metrics, span events), and the clocks it is measured with.
#pragma once

#include <cstdint>

#include "common/api_types.h"

namespace hl {

struct CallCounts {
  uint64_t vm_exits = 0;
  uint64_t host_calls = 0;
  uint64_t host_wall_ns = 0;  // measured only with detailed accounting
  uint64_t host_cpu_ns = 0;   // likewise
  uint64_t print_bytes = 0;
  uint64_t print_bytes_dropped = 0;
  uint64_t pages_restored = 0;
  uint64_t restore_ns = 0;
};

// CLOCK_MONOTONIC (what span events report; std::chrono::steady_clock is
// the same clock) and the calling thread's CPU clock (a system call, ~0.3
// us here: read only when asked for).
uint64_t monotonic_ns();
uint64_t thread_cpu_ns();

}  // namespace hl
