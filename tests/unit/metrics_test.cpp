// The metrics recorder, its histograms and the Prometheus text, without a
// sandbox (the integration tests count real calls).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "engine/prometheus_text.h"
#include "sandbox/metrics_recorder.h"

namespace {

TEST(DurationHistogram, ValuesOnABoundGoInThatBucket) {
  hl::DurationHistogram h;
  h.record(0);
  h.record(5'000);  // the first bound
  h.record(5'001);  // just above it
  h.record(10'000'000'000ull);
  h.record(10'000'000'001ull);  // past the last finite bound: +Inf
  hl::Metrics m{};
  h.read(m.call_duration);
  EXPECT_EQ(m.call_duration.count, 5u);
  EXPECT_EQ(m.call_duration.sum_ns, 5'000u + 5'001u + 10'000'000'000ull + 10'000'000'001ull);
  EXPECT_EQ(m.call_duration.buckets[0], 2u);
  EXPECT_EQ(m.call_duration.buckets[1], 1u);
  EXPECT_EQ(m.call_duration.buckets[18], 1u);
  EXPECT_EQ(m.call_duration.buckets[19], 1u);
}

TEST(MetricsRecorder, CountsFromManyThreadsAddUp) {
  hl::MetricsRecorder recorder;
  const hl::ErrorCode timeout = hl::ErrorCode::kTimeout;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++)
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; i++) recorder.record_call({i % 10 == 0 ? &timeout : nullptr, 1'000, 2, 1, 3, 1});
    });
  for (std::thread &t : threads) t.join();
  const hl::Metrics m = recorder.read();
  EXPECT_EQ(m.calls, 40'000u);
  EXPECT_EQ(m.call_failures, 4'000u);
  EXPECT_EQ(m.failures_by_code[static_cast<size_t>(timeout)], 4'000u);
  EXPECT_EQ(m.vm_exits, 80'000u);
  EXPECT_EQ(m.host_calls, 40'000u);
  EXPECT_EQ(m.print_bytes, 120'000u);
  EXPECT_EQ(m.print_bytes_dropped, 40'000u);
  EXPECT_EQ(m.call_duration.count, 40'000u);
  EXPECT_EQ(m.call_duration.buckets[0], 40'000u);
}

TEST(PrometheusText, FollowsTheExpositionFormat) {
  hl::MetricsRecorder recorder;
  const hl::ErrorCode cancelled = hl::ErrorCode::kCancelled;
  recorder.record_call({nullptr, 7'000, 1, 0, 0, 0});
  recorder.record_call({&cancelled, 2'000'000, 1, 0, 0, 0});
  recorder.record_kill(hl::KillResult::kInterrupted);
  recorder.record_kill(hl::KillResult::kNotRunning);
  recorder.record_created(hl::SandboxOrigin::kSpare, 40'000);
  const std::string text = hl::prometheus_text(recorder.read());
  for (const char *want : {
           "# HELP hyperlight_calls_total Guest calls made.\n# TYPE hyperlight_calls_total counter\n"
           "hyperlight_calls_total 2\n",
           "hyperlight_call_failures_total{code=\"CANCELLED\"} 1\n",
           "hyperlight_kills_total 1\n",
           "hyperlight_stale_kills_total 1\n",
           "hyperlight_sandboxes_created_total{origin=\"spare\"} 1\n",
           "hyperlight_sandboxes_created_total{origin=\"cold\"} 0\n",
           "hyperlight_call_duration_seconds_bucket{le=\"5e-06\"} 0\n",
           "hyperlight_call_duration_seconds_bucket{le=\"1e-05\"} 1\n",  // cumulative
           "hyperlight_call_duration_seconds_bucket{le=\"0.0025\"} 2\n",
           "hyperlight_call_duration_seconds_bucket{le=\"+Inf\"} 2\n",
           "hyperlight_call_duration_seconds_sum 0.002007000\n",
           "hyperlight_call_duration_seconds_count 2\n",
           "hyperlight_sandbox_create_duration_seconds_count 1\n",
       })
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "\n" << text;
  // Codes with no failures are left out; every line ends with a newline.
  EXPECT_EQ(text.find("code=\"TIMEOUT\""), std::string::npos);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find("\n\n"), std::string::npos);
}

}  // namespace
