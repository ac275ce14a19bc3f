// Percentiles of per-iteration samples, for the p50_us / p99_us counters:
// a mean hides the tail, and a latency budget is about the tail.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

// The p-th percentile (0 < p <= 100) by nearest rank: the smallest sample
// with at least p% of the samples at or below it, so it is always a value
// that was measured. 0 when there are no samples.
inline double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

// Sets the counters p50_us and p99_us from samples in seconds.
inline void set_latency_percentiles(benchmark::State &state, const std::vector<double> &seconds) {
  state.counters["p50_us"] = percentile(seconds, 50) * 1e6;
  state.counters["p99_us"] = percentile(seconds, 99) * 1e6;
}
