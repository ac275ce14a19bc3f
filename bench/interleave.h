// Two ways of doing one thing, measured in alternating batches of 100, so
// that a change in the machine's load hits both alike (a shared 2-core
// machine drifts by more than the differences measured). The ratio of the
// summed times, second / first, is the counter "ratio".
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>

template <typename A, typename B>
void interleave(benchmark::State &state, A &&first, B &&second) {
  using Clock = std::chrono::steady_clock;
  Clock::duration a{}, b{};
  for (auto _ : state) {
    auto t0 = Clock::now();
    for (int n = 0; n < 100; n++) first();
    auto t1 = Clock::now();
    for (int n = 0; n < 100; n++) second();
    a += t1 - t0;
    b += Clock::now() - t1;
  }
  if (a.count() > 0) state.counters["ratio"] = static_cast<double>(b.count()) / static_cast<double>(a.count());
}
