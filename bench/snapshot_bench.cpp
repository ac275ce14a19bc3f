// Snapshots against the same run's floor cases: restore cost by dirty pages
// and by sandbox size, call + restore against a plain call, and a sandbox
// from a snapshot against a raw VM creation. call_bench.cpp prints the
// ratios.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "bench_mode.h"
#include "bench_sandbox.h"
#include "hyperlight.h"
#include "interleave.h"
#include "kvm/kvm_system.h"
#include "sandbox/restore_tracker.h"

namespace {

// A KVM VM with its vCPU, from nothing: what the pool saves.
void BM_RawVmCreate(benchmark::State &state) {
  auto kvm = hl::kvm::KvmSystem::open("/dev/kvm");
  for (auto _ : state) {
    auto begin = std::chrono::steady_clock::now();
    hl::kvm::Machine m = kvm->create_machine();
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
}
BENCHMARK(BM_RawVmCreate)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(bench_iterations(200));

// The restore series: a request that writes <pages> heap pages (TouchPages)
// on a sandbox of <heap> MiB. Restore cost must grow with the pages written
// and not with the heap, which the guest never touches beyond those pages.
// At 4096 pages the request writes every page of the 16 MiB heap, so every
// case fits (TouchPages reports what it wrote, and the benchmarks check).
// The call + restore cases also show where a request outgrows the vCPU's
// dirty ring (4096 entries): past it, a ring-full exit write-protects the
// pages again and every request takes a write fault per page.
constexpr int64_t kTouchedPages[] = {1, 4, 16, 64, 256, 1024, 4096};
constexpr int64_t kHeapMiB[] = {16, 1024};

// The two heap sizes of a page count run one after the other, so that the
// machine's drift over the series does not pass for a cost of heap size.
void touch_series(benchmark::internal::Benchmark *b) {
  for (int64_t pages : kTouchedPages)
    for (int64_t heap_mib : kHeapMiB) b->Args({pages, heap_mib});
}

// Iterations for a restore benchmark: a whole number of the tracker's reset
// intervals (every kResetInterval-th restore write-protects the working set
// again, and the next request takes a write fault per page), so each case
// pays that cost in the proportion a long-running server does; more
// intervals for the cheap cases, so that each runs for a similar time.
int64_t restore_iterations(int64_t pages) {
  const int64_t intervals = pages <= 64 ? 8 : pages <= 256 ? 4 : pages <= 1024 ? 2 : 1;
  return bench_iterations(intervals * hl::RestoreTracker::kResetInterval);
}

uint64_t heap_bytes(const benchmark::State &state) { return static_cast<uint64_t>(state.range(1)) << 20; }

hl_val_t pages_arg(const benchmark::State &state) {
  hl_val_t v{};
  v.kind = HL_VAL_I32;
  v.of.i32 = static_cast<int32_t>(state.range(0));
  return v;
}

// TouchPages returns how many pages it wrote: fewer than asked means the
// case does not fit its heap and would measure something else.
bool wrote_all(benchmark::State &state, const hl_val_t &result) {
  if (result.kind == HL_VAL_I32 && result.of.i32 == state.range(0)) return true;
  state.SkipWithError("TouchPages wrote fewer pages than asked: the heap is too small for the case");
  return false;
}

// The request without restore: the baseline the other two are compared with.
void BM_CallTouch(benchmark::State &state) {
  hl_sandbox_t *sb = scribble_sandbox(heap_bytes(state));
  if (sb == nullptr) {
    state.SkipWithError("no sandbox");
    return;
  }
  hl_val_t arg = pages_arg(state), result{};
  // Untimed: the first request also allocates the pages it writes.
  if (!failed(state, hl_call(sb, "TouchPages", &arg, 1, &result)) && wrote_all(state, result))
    for (auto _ : state)
      if (failed(state, hl_call(sb, "TouchPages", &arg, 1, &result)) || !wrote_all(state, result)) break;
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_CallTouch)->Apply(touch_series)->UseRealTime()->MinTime(bench_min_time(0.3));

// Pages each restore copied back, from the engine's metrics: the pages the
// request wrote and the few every call writes (stack, buffers, PEB).
void count_pages_restored(benchmark::State &state, const hl_metrics_t &before, const hl_metrics_t &after) {
  if (after.restores > before.restores)
    state.counters["pages_restored"] = static_cast<double>(after.pages_restored - before.pages_restored) /
                                       static_cast<double>(after.restores - before.restores);
}

// A scribbleguest sandbox of the case's heap on an engine of its own, its
// snapshot, and one untimed request (which also allocates the pages it
// writes); then timed(sb, snap, arg, result), and the pages restored per
// iteration as a counter.
template <typename Timed>
void on_snapshotted_sandbox(benchmark::State &state, Timed &&timed) {
  OwnEngine engine;
  hl_sandbox_t *sb = scribble_sandbox(heap_bytes(state), engine.engine());
  if (sb == nullptr) {
    state.SkipWithError("no sandbox");
    return;
  }
  hl_snapshot_t *snap = nullptr;
  if (failed(state, hl_sandbox_snapshot(sb, &snap))) {
    hl_sandbox_delete(sb);
    return;
  }
  hl_val_t arg = pages_arg(state), result{};
  if (!failed(state, hl_call_and_restore(sb, snap, "TouchPages", &arg, 1, &result)) && wrote_all(state, result)) {
    const hl_metrics_t before = engine.metrics();
    timed(sb, snap, arg, result);
    count_pages_restored(state, before, engine.metrics());
  }
  hl_snapshot_delete(snap);
  hl_sandbox_delete(sb);
}

// The same request on a clean sandbox every time.
void BM_CallAndRestoreTouch(benchmark::State &state) {
  on_snapshotted_sandbox(state, [&](hl_sandbox_t *sb, hl_snapshot_t *snap, hl_val_t &arg, hl_val_t &result) {
    for (auto _ : state)
      if (failed(state, hl_call_and_restore(sb, snap, "TouchPages", &arg, 1, &result)) || !wrote_all(state, result))
        break;
  });
}

// hl_sandbox_restore alone, after the request.
void BM_RestoreDirty(benchmark::State &state) {
  on_snapshotted_sandbox(state, [&](hl_sandbox_t *sb, hl_snapshot_t *snap, hl_val_t &arg, hl_val_t &result) {
    for (auto _ : state) {
      if (failed(state, hl_call(sb, "TouchPages", &arg, 1, &result)) || !wrote_all(state, result)) break;
      auto begin = std::chrono::steady_clock::now();
      if (failed(state, hl_sandbox_restore(sb, snap))) break;
      state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    }
  });
}

// One registration per case, each with its own iteration count; in
// touch_series' order.
const bool restore_series_registered = [] {
  for (int64_t pages : kTouchedPages)
    for (int64_t heap_mib : kHeapMiB)
      benchmark::RegisterBenchmark("BM_CallAndRestoreTouch", BM_CallAndRestoreTouch)
          ->Args({pages, heap_mib})
          ->UseRealTime()
          ->Iterations(restore_iterations(pages));
  for (int64_t pages : kTouchedPages)
    for (int64_t heap_mib : kHeapMiB)
      benchmark::RegisterBenchmark("BM_RestoreDirty", BM_RestoreDirty)
          ->Args({pages, heap_mib})
          ->UseManualTime()
          ->Iterations(restore_iterations(pages));
  return true;
}();

// The call + restore target, interleaved: a request writing 16 pages with
// hl_call_and_restore on one sandbox and with hl_call on another, in
// alternating batches of 100; ratio = call + restore / call, at <heap> MiB.
void BM_InterleavedCallAndRestoreVsCall(benchmark::State &state) {
  constexpr int32_t kPages = 16;
  const uint64_t heap = static_cast<uint64_t>(state.range(0)) << 20;
  OwnEngine engine;
  hl_sandbox_t *plain = scribble_sandbox(heap, engine.engine());
  hl_sandbox_t *restored = scribble_sandbox(heap, engine.engine());
  hl_snapshot_t *snap = nullptr;
  if (plain == nullptr || restored == nullptr || failed(state, hl_sandbox_snapshot(restored, &snap))) {
    if (plain == nullptr || restored == nullptr) state.SkipWithError("no sandbox");
    hl_sandbox_delete(plain);
    hl_sandbox_delete(restored);
    return;
  }
  hl_val_t arg{}, result{};
  arg.kind = HL_VAL_I32;
  arg.of.i32 = kPages;
  // Untimed: the first requests also allocate the pages they write.
  hl_error_delete(hl_call(plain, "TouchPages", &arg, 1, &result));
  hl_error_delete(hl_call_and_restore(restored, snap, "TouchPages", &arg, 1, &result));
  interleave(
      state, [&] { hl_error_delete(hl_call(plain, "TouchPages", &arg, 1, &result)); },
      [&] { hl_error_delete(hl_call_and_restore(restored, snap, "TouchPages", &arg, 1, &result)); });
  hl_snapshot_delete(snap);
  hl_sandbox_delete(restored);
  hl_sandbox_delete(plain);
}
BENCHMARK(BM_InterleavedCallAndRestoreVsCall)->Arg(16)->Arg(1024)->UseRealTime()->MinTime(bench_min_time(2.0));

void BM_SnapshotCreate(benchmark::State &state) {
  hl_sandbox_t *sb = scribble_sandbox(16ull << 20);
  for (auto _ : state) {
    hl_snapshot_t *snap = nullptr;
    if (failed(state, hl_sandbox_snapshot(sb, &snap))) break;
    hl_snapshot_delete(snap);
  }
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_SnapshotCreate)->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(bench_min_time(1.0));

// A ready sandbox from a snapshot (16 MiB heap); the pool's VMs are given
// time to come back between iterations, as between requests.
void BM_SandboxFromSnapshot(benchmark::State &state) {
  hl_sandbox_t *source = scribble_sandbox(16ull << 20);
  hl_snapshot_t *snap = nullptr;
  if (failed(state, hl_sandbox_snapshot(source, &snap))) return;
  for (auto _ : state) {
    hl_sandbox_t *sb = nullptr;
    auto begin = std::chrono::steady_clock::now();
    if (failed(state, hl_sandbox_new_from_snapshot(snap, nullptr, &sb))) break;
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    hl_sandbox_delete(sb);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  hl_snapshot_delete(snap);
  hl_sandbox_delete(source);
}
BENCHMARK(BM_SandboxFromSnapshot)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(bench_iterations(200));

// Sandboxes from a snapshot while every one made stays alive, so none is
// deleted to be reused: with the pool on (range 2) they come from spares
// built ahead of time in the background; with it off (range 0) each gets new
// memory with the snapshot's pages copied in, new memory slots and a new VM.
void BM_SandboxFromSnapshotAllKept(benchmark::State &state) {
  const auto pool = static_cast<uint32_t>(state.range(0));
  hl_engine_config_t *engine_config = hl_engine_config_new();
  hl_error_delete(hl_engine_config_set_vm_pool_size(engine_config, pool));
  hl_engine_t *engine = nullptr;
  if (failed(state, hl_engine_new(engine_config, &engine))) return;
  hl_engine_config_delete(engine_config);
  hl_config_t *config = hl_config_new();
  hl_error_delete(hl_config_set_engine(config, engine));
  hl_sandbox_t *source = scribble_sandbox(16ull << 20, engine);
  hl_snapshot_t *snap = nullptr;
  if (failed(state, hl_sandbox_snapshot(source, &snap))) return;
  std::vector<hl_sandbox_t *> alive;
  for (auto _ : state) {
    hl_sandbox_t *sb = nullptr;
    auto begin = std::chrono::steady_clock::now();
    if (failed(state, hl_sandbox_new_from_snapshot(snap, config, &sb))) break;
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    alive.push_back(sb);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // requests arrive 2 ms apart
  }
  for (hl_sandbox_t *sb : alive) hl_sandbox_delete(sb);
  hl_snapshot_delete(snap);
  hl_sandbox_delete(source);
  hl_config_delete(config);
  hl_engine_delete(engine);
}
BENCHMARK(BM_SandboxFromSnapshotAllKept)
    ->Arg(2)
    ->Arg(0)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(bench_iterations(50));

// The same guest from its ELF: load, page tables, guest initialisation.
void BM_ColdSandboxFromElf(benchmark::State &state) {
  for (auto _ : state) {
    auto begin = std::chrono::steady_clock::now();
    hl_sandbox_t *sb = scribble_sandbox(16ull << 20);
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    if (sb == nullptr) {
      state.SkipWithError("no sandbox");
      break;
    }
    hl_sandbox_delete(sb);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}
BENCHMARK(BM_ColdSandboxFromElf)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(bench_iterations(200));

}  // namespace
