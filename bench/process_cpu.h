// The CPU time of the whole process, the library's background threads (the
// VM pool, the spare builder, the deadline timer) included: what a request
// really costs a machine, beside what its caller waits.
#pragma once

#include <benchmark/benchmark.h>
#include <time.h>

#include <chrono>

inline double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// The cores the whole process used while a multi-threaded benchmark ran
// (process CPU time over wall time, the spare builder and timer threads
// included): 2 threads can only run twice as fast if this reaches about 2,
// which a machine busy with other work does not allow. Thread 0 measures,
// from its first iteration (after the start barrier) to the end of its loop
// (the stop barrier), and alone sets the counter cores_used (counters are
// summed over threads).
class CoresUsed {
 public:
  void start_once() {
    if (started_) return;
    started_ = true;
    cpu_begin_ = process_cpu_seconds();
    wall_begin_ = std::chrono::steady_clock::now();
  }
  // requests > 0 adds cpu_us_per_request: the process's CPU time over the
  // requests all threads served.
  void report(benchmark::State &state, double requests = 0) const {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_begin_).count();
    const double cpu = process_cpu_seconds() - cpu_begin_;
    if (started_ && wall > 0) state.counters["cores_used"] = cpu / wall;
    if (started_ && requests > 0) state.counters["cpu_us_per_request"] = cpu * 1e6 / requests;
  }

 private:
  bool started_ = false;
  double cpu_begin_ = 0;
  std::chrono::steady_clock::time_point wall_begin_;
};
