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

TEST(Timing, SummarizesWallAndGuestCpuAndCounts) {
  std::vector<CallCost> costs;
  for (uint64_t i = 1; i <= 4; i++) costs.push_back({i * 1000, i * 100, 2, i % 2});
  RepeatSummary s = summarize_calls(costs);
  EXPECT_EQ(s.wall.calls, 4u);
  EXPECT_EQ(s.wall.min_ns, 1000u);
  EXPECT_EQ(s.wall.max_ns, 4000u);
  EXPECT_EQ(s.guest_cpu.calls, 4u);
  EXPECT_EQ(s.guest_cpu.median_ns, 200u);
  EXPECT_EQ(s.guest_cpu.mean_ns, 250u);
  EXPECT_EQ(s.vm_exits, 8u);
  EXPECT_EQ(s.host_calls, 2u);
  EXPECT_EQ(summarize_calls({}).wall.calls, 0u);
}

TEST(Timing, PerCallMeans) {
  EXPECT_EQ(per_call(10, 5), "2");
  EXPECT_EQ(per_call(0, 5), "0");
  EXPECT_EQ(per_call(3, 2), "1.5");
  EXPECT_EQ(per_call(1, 3), "0.33");
  EXPECT_EQ(per_call(2999, 1000), "3") << "rounds to a whole number";
  EXPECT_EQ(per_call(1, 1000), "0");
  EXPECT_EQ(per_call(7, 0), "0") << "no calls";
}

TEST(Timing, SummaryText) {
  RepeatSummary s = summarize_calls({{20'000, 12'000, 1, 0}, {30'000, 15'000, 1, 0}});
  EXPECT_EQ(repeat_summary_text(s),
            "2 calls\n"
            "  wall time: min 20 us, median 20 us, p99 30 us (mean 25 us, max 30 us)\n"
            "  guest CPU: min 12 us, median 12 us, p99 15 us (mean 13.5 us, max 15 us)\n"
            "  per call:  1 VM exit, 0 host calls\n");
  RepeatSummary one = summarize_calls({{999, 500, 3, 1}});
  EXPECT_NE(repeat_summary_text(one).find("1 call\n"), std::string::npos);
  EXPECT_NE(repeat_summary_text(one).find("3 VM exits, 1 host call\n"), std::string::npos);
}

TEST(Timing, SummaryJson) {
  RepeatSummary s = summarize_calls({{20'000, 12'000, 2, 1}, {30'000, 15'000, 1, 0}});
  EXPECT_EQ(repeat_summary_json(s),
            "{\"calls\": 2, \"min_ns\": 20000, \"median_ns\": 20000, \"p99_ns\": 30000, \"max_ns\": 30000, "
            "\"mean_ns\": 25000, \"guest_cpu\": {\"min_ns\": 12000, \"median_ns\": 12000, \"p99_ns\": 15000, "
            "\"max_ns\": 15000, \"mean_ns\": 13500}, \"vm_exits_per_call\": 1.5, \"host_calls_per_call\": 0.5}");
}

}  // namespace
}  // namespace hlcli
