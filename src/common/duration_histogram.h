// A histogram of durations that many threads record into without a lock
// (one relaxed atomic add per field), read by snapshot. Buckets are fixed,
// 5 us to 10 s and +Inf, the same for every histogram, so readers (the
// Prometheus text, the bindings) need no per-histogram bounds.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace hl {

class DurationHistogram {
 public:
  static constexpr size_t kBuckets = 20;
  // Upper bounds in nanoseconds; the last bucket is +Inf (UINT64_MAX).
  static constexpr std::array<uint64_t, kBuckets> kBoundsNs = {
      5'000,       10'000,        25'000,        50'000,         100'000,
      250'000,     500'000,       1'000'000,     2'500'000,      5'000'000,
      10'000'000,  25'000'000,    50'000'000,    100'000'000,    250'000'000,
      500'000'000, 1'000'000'000, 2'500'000'000, 10'000'000'000, std::numeric_limits<uint64_t>::max()};

  void record(uint64_t ns) {
    size_t i = 0;
    while (ns > kBoundsNs[i]) i++;  // the last bound is UINT64_MAX: always stops
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }

  // Into any struct with count, sum_ns and buckets[kBuckets] (the C ABI's).
  template <typename Out>
  void read(Out &out) const {
    static_assert(sizeof(out.buckets) / sizeof(out.buckets[0]) == kBuckets);
    for (size_t i = 0; i < kBuckets; i++) out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    out.sum_ns = sum_ns_.load(std::memory_order_relaxed);
    out.count = count_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
};

}  // namespace hl
