// Tail latency and what a request costs the machine: the p50 and p99 of a
// plain call, of a call with a fresh state (hl_call_and_restore) and of a
// sandbox made from a snapshot, called and deleted, in steady loops as fast
// as one thread drives them; and the same requests on 1 and 2 threads with
// the process's CPU time per request, the library's background threads (VM
// pool, spare builder) included. A service lives with its p99 and pays for
// every thread's CPU.
#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include "bench_mode.h"
#include "bench_sandbox.h"
#include "hyperlight.h"
#include "percentiles.h"
#include "process_cpu.h"

namespace {

using Clock = std::chrono::steady_clock;

const hl_val_t kAddArgs[2] = {i32_val(40), i32_val(2)};

// One request of each kind; false (and the benchmark ended) on an error.
bool call_once(benchmark::State &state, hl_sandbox_t *sb) {
  hl_val_t result;
  return !failed(state, hl_call(sb, "Add", kAddArgs, 2, &result));
}

bool call_and_restore_once(benchmark::State &state, hl_sandbox_t *sb, const hl_snapshot_t *snap) {
  hl_val_t result;
  return !failed(state, hl_call_and_restore(sb, snap, "Add", kAddArgs, 2, &result));
}

// Each phase's time of the last create-call-delete request, so the tail can
// be put where it is (BM_Tail/kind:2's create_p99_us, call_p99_us, ...).
struct PhaseTimes {
  std::vector<double> create, call, remove;
};

bool create_call_delete_once(benchmark::State &state, const SnapshotSource &source, PhaseTimes *phases = nullptr) {
  const auto begin = Clock::now();
  hl_sandbox_t *sb = nullptr;
  if (failed(state, source.new_sandbox(&sb))) return false;
  const auto created = Clock::now();
  const bool called = call_once(state, sb);
  const auto returned = Clock::now();
  hl_sandbox_delete(sb);
  if (phases != nullptr) {
    phases->create.push_back(std::chrono::duration<double>(created - begin).count());
    phases->call.push_back(std::chrono::duration<double>(returned - created).count());
    phases->remove.push_back(std::chrono::duration<double>(Clock::now() - returned).count());
  }
  return called;
}

// Runs request once per iteration, timing each; sets p50_us, p99_us,
// p99_over_p50 and the process's cpu_us_per_request.
template <typename Request>
void sample_requests(benchmark::State &state, Request &&request) {
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  CoresUsed cpu;
  for (auto _ : state) {
    cpu.start_once();
    const auto begin = Clock::now();
    if (!request()) break;
    samples.push_back(std::chrono::duration<double>(Clock::now() - begin).count());
  }
  cpu.report(state, static_cast<double>(samples.size()));
  set_latency_percentiles(state, samples);
  const double p50 = percentile(samples, 50);
  if (p50 > 0) state.counters["p99_over_p50"] = percentile(samples, 99) / p50;
}

// What the request kinds share: a scribbleguest sandbox and its snapshot on
// an engine of the benchmark's own.
struct RequestTarget {
  SnapshotSource source;
  hl_sandbox_t *sandbox = nullptr;
  hl_snapshot_t *snapshot = nullptr;
  explicit RequestTarget(benchmark::State &state) {
    if (!source.error().empty()) {
      state.SkipWithError(source.error().c_str());
      return;
    }
    if (!failed(state, source.new_sandbox(&sandbox))) failed(state, hl_sandbox_snapshot(sandbox, &snapshot));
  }
  ~RequestTarget() {
    hl_snapshot_delete(snapshot);
    hl_sandbox_delete(sandbox);
  }
  RequestTarget(const RequestTarget &) = delete;
  RequestTarget &operator=(const RequestTarget &) = delete;
  bool ready() const { return snapshot != nullptr; }
};

enum RequestKind : int64_t { kCall = 0, kCallAndRestore = 1, kCreateCallDelete = 2 };

bool one_request(benchmark::State &state, RequestTarget &target, int64_t kind, PhaseTimes *phases = nullptr) {
  switch (kind) {
    case kCall: return call_once(state, target.sandbox);
    case kCallAndRestore: return call_and_restore_once(state, target.sandbox, target.snapshot);
    default: return create_call_delete_once(state, target.source, phases);
  }
}

// BM_Tail/<kind>: 0 hl_call(Add) on a live sandbox; 1 the same with
// hl_call_and_restore; 2 a sandbox from a snapshot, hl_call(Add), delete.
void BM_Tail(benchmark::State &state) {
  RequestTarget target(state);
  if (!target.ready()) return;
  for (int warm = 0; warm < 100; warm++)
    if (!one_request(state, target, state.range(0))) return;
  PhaseTimes phases;
  sample_requests(state, [&] { return one_request(state, target, state.range(0), &phases); });
  if (!phases.create.empty()) {
    state.counters["create_p99_us"] = percentile(phases.create, 99) * 1e6;
    state.counters["call_p99_us"] = percentile(phases.call, 99) * 1e6;
    state.counters["delete_p99_us"] = percentile(phases.remove, 99) * 1e6;
    state.counters["create_p50_us"] = percentile(phases.create, 50) * 1e6;
    state.counters["delete_p50_us"] = percentile(phases.remove, 50) * 1e6;
  }
}
BENCHMARK(BM_Tail)
    ->ArgName("kind")
    ->Arg(kCall)
    ->Arg(kCallAndRestore)
    ->Arg(kCreateCallDelete)
    ->UseRealTime()
    ->Iterations(bench_iterations(20000));

// BM_Throughput/<kind>/threads:<n>: the same requests on 1 and 2 threads,
// each thread on its own engine, sandbox and snapshot; items_per_second in
// all, and the process's CPU per request (thread 0 measures).
void BM_Throughput(benchmark::State &state) {
  RequestTarget target(state);
  if (!target.ready()) return;
  CoresUsed cpu;
  int64_t done = 0;
  for (auto _ : state) {
    if (state.thread_index() == 0) cpu.start_once();
    if (!one_request(state, target, state.range(0))) break;
    done++;
  }
  state.SetItemsProcessed(done);
  if (state.thread_index() == 0) cpu.report(state, static_cast<double>(done) * state.threads());
}
BENCHMARK(BM_Throughput)
    ->ArgName("kind")
    ->Arg(kCallAndRestore)
    ->Arg(kCreateCallDelete)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->MinTime(bench_min_time(1.0));

}  // namespace
