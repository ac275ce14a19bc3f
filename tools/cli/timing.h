// The timing summary of `run --repeat N`: how long the calls took.
#pragma once

#include <cstdint>
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

}  // namespace hlcli
