#include "timing.h"

#include <gtest/gtest.h>

namespace hlcli {
namespace {

TEST(Timing, SummarizesByNearestRank) {
  std::vector<uint64_t> samples;
  for (uint64_t i = 100; i >= 1; i--) samples.push_back(i * 10);  // 10..1000, unsorted
  TimingSummary s = summarize(samples);
  EXPECT_EQ(s.calls, 100u);
  EXPECT_EQ(s.min_ns, 10u);
  EXPECT_EQ(s.median_ns, 500u);
  EXPECT_EQ(s.p99_ns, 990u);
  EXPECT_EQ(s.max_ns, 1000u);
  EXPECT_EQ(s.mean_ns, 505u);
}

TEST(Timing, SmallAndEmpty) {
  TimingSummary one = summarize({7});
  EXPECT_EQ(one.min_ns, 7u);
  EXPECT_EQ(one.median_ns, 7u);
  EXPECT_EQ(one.p99_ns, 7u);
  TimingSummary two = summarize({1, 9});
  EXPECT_EQ(two.median_ns, 1u);
  EXPECT_EQ(two.p99_ns, 9u);
  EXPECT_EQ(summarize({}).calls, 0u);
  TimingSummary huge = summarize({UINT64_MAX, UINT64_MAX});
  EXPECT_EQ(huge.mean_ns, UINT64_MAX) << "no overflow";
}

}  // namespace
}  // namespace hlcli
