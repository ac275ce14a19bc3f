// Snapshots against the same run's floor cases: restore cost by sandbox
// size, call + restore against a plain call, and a sandbox from a snapshot
// against a raw VM creation. call_bench.cpp prints the ratios.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "hyperlight.h"
#include "kvm/kvm_system.h"

namespace {

constexpr int32_t kDirtyPages = 16;

hl_sandbox_t *scribble_sandbox(uint64_t heap, hl_engine_t *engine = nullptr) {
  hl_config_t *config = hl_config_new();
  hl_error_delete(hl_config_set_heap_size(config, heap));
  hl_error_delete(hl_config_set_engine(config, engine));
  hl_sandbox_t *sb = nullptr;
  hl_error_t *err = hl_sandbox_new(config, HL_SCRIBBLEGUEST_PATH, &sb);
  hl_config_delete(config);
  if (err != nullptr) {
    std::fprintf(stderr, "hl_sandbox_new: %s\n", hl_error_message(err));
    hl_error_delete(err);
  }
  return sb;
}

bool failed(benchmark::State &state, hl_error_t *err) {
  if (err == nullptr) return false;
  state.SkipWithError(hl_error_message(err));
  hl_error_delete(err);
  return true;
}

hl_val_t pages_arg() {
  hl_val_t v{};
  v.kind = HL_VAL_I32;
  v.of.i32 = kDirtyPages;
  return v;
}

// A KVM VM with its vCPU, from nothing: what the pool saves.
void BM_RawVmCreate(benchmark::State &state) {
  auto kvm = hl::kvm::KvmSystem::open("/dev/kvm");
  for (auto _ : state) {
    auto begin = std::chrono::steady_clock::now();
    hl::kvm::Machine m = kvm->create_machine();
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
}
BENCHMARK(BM_RawVmCreate)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(200);

// A request that writes 16 heap pages, without restore: the baseline.
void BM_CallTouch16(benchmark::State &state) {
  hl_sandbox_t *sb = scribble_sandbox(static_cast<uint64_t>(state.range(0)) << 20);
  hl_val_t arg = pages_arg();
  for (auto _ : state)
    if (failed(state, hl_call(sb, "TouchPages", &arg, 1, nullptr))) break;
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_CallTouch16)->Arg(16)->Arg(256)->UseRealTime()->MinTime(1.0);

// The same request on a clean sandbox every time.
void BM_CallAndRestoreTouch16(benchmark::State &state) {
  hl_sandbox_t *sb = scribble_sandbox(static_cast<uint64_t>(state.range(0)) << 20);
  hl_snapshot_t *snap = nullptr;
  if (failed(state, hl_sandbox_snapshot(sb, &snap))) return;
  hl_val_t arg = pages_arg();
  for (auto _ : state)
    if (failed(state, hl_call_and_restore(sb, snap, "TouchPages", &arg, 1, nullptr))) break;
  hl_snapshot_delete(snap);
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_CallAndRestoreTouch16)->Arg(16)->Arg(256)->UseRealTime()->MinTime(1.0);

// hl_sandbox_restore alone, after a request that wrote 16 pages.
void BM_Restore16Dirty(benchmark::State &state) {
  hl_sandbox_t *sb = scribble_sandbox(static_cast<uint64_t>(state.range(0)) << 20);
  hl_snapshot_t *snap = nullptr;
  if (failed(state, hl_sandbox_snapshot(sb, &snap))) return;
  hl_val_t arg = pages_arg();
  for (auto _ : state) {
    if (failed(state, hl_call(sb, "TouchPages", &arg, 1, nullptr))) break;
    auto begin = std::chrono::steady_clock::now();
    if (failed(state, hl_sandbox_restore(sb, snap))) break;
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  hl_snapshot_delete(snap);
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_Restore16Dirty)->Arg(16)->Arg(256)->UseManualTime()->MinTime(1.0);

void BM_SnapshotCreate(benchmark::State &state) {
  hl_sandbox_t *sb = scribble_sandbox(16ull << 20);
  for (auto _ : state) {
    hl_snapshot_t *snap = nullptr;
    if (failed(state, hl_sandbox_snapshot(sb, &snap))) break;
    hl_snapshot_delete(snap);
  }
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_SnapshotCreate)->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(1.0);

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
BENCHMARK(BM_SandboxFromSnapshot)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(200);

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
    ->Iterations(50);

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
BENCHMARK(BM_ColdSandboxFromElf)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(200);

}  // namespace
