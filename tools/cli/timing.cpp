#include "timing.h"

#include <algorithm>

namespace hlcli {
namespace {

// The nearest-rank percentile of sorted samples: the smallest sample that
// at least percent% of the samples do not exceed.
uint64_t nearest_rank(const std::vector<uint64_t> &sorted, unsigned percent) {
  const uint64_t n = sorted.size();
  const uint64_t rank = (percent * n + 99) / 100;  // ceil(percent/100 * n), at least 1 for n >= 1
  return sorted[static_cast<size_t>(std::max<uint64_t>(rank, 1) - 1)];
}

}  // namespace

TimingSummary summarize(std::vector<uint64_t> durations_ns) {
  TimingSummary s;
  if (durations_ns.empty()) return s;
  std::sort(durations_ns.begin(), durations_ns.end());
  s.calls = durations_ns.size();
  s.min_ns = durations_ns.front();
  s.max_ns = durations_ns.back();
  s.median_ns = nearest_rank(durations_ns, 50);
  s.p99_ns = nearest_rank(durations_ns, 99);
  unsigned __int128 total = 0;
  for (uint64_t d : durations_ns) total += d;
  s.mean_ns = static_cast<uint64_t>(total / durations_ns.size());
  return s;
}

}  // namespace hlcli
