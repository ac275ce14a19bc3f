// Quick mode: HL_BENCH_QUICK=1 makes every benchmark short, for the
// bench.smoke test, which checks that the whole bench still runs (never its
// timings). The helpers take the normal figure and return what to use, so a
// registration reads the same in both modes; they work during static
// registration (before main), where the benchmarks are configured.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

// Whether HL_BENCH_QUICK=1 is set.
inline bool bench_quick() {
  static const bool quick = [] {
    const char *value = std::getenv("HL_BENCH_QUICK");
    return value != nullptr && std::strcmp(value, "1") == 0;
  }();
  return quick;
}

// For ->MinTime(): a per-benchmark minimum time overrides
// --benchmark_min_time, so quick mode has to shorten it here.
inline double bench_min_time(double normal_seconds) { return bench_quick() ? 0.01 : normal_seconds; }

// For ->Iterations(): enough to run every code path once or twice.
inline int64_t bench_iterations(int64_t normal) { return bench_quick() ? std::min<int64_t>(normal, 5) : normal; }

// How many sandboxes a benchmark keeps alive at once: creating a thousand
// takes seconds, so quick mode stops at 100.
inline int64_t bench_live_cap(int64_t normal) { return bench_quick() ? std::min<int64_t>(normal, 100) : normal; }
