// How the costs scale: a call with its argument size and with the heap
// size, sandbox creation with the number of sandboxes alive and with
// threads, calls with threads; kill latency; the memory an idle sandbox
// costs and how many one process can keep alive. The names, arguments and
// counters are what the benchmark report reads (scripts/bench-report.sh).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "abi/hl_wire.h"
#include "bench_mode.h"
#include "bench_sandbox.h"
#include "hyperlight.h"
#include "percentiles.h"
#include "process_cpu.h"

namespace {

// Every live sandbox holds a few file descriptors (BM_MaxLiveSandboxes
// counts them), and CI machines may start processes with a soft limit of
// 1024: raise it to the hard limit before any benchmark runs. An
// initializer at namespace scope runs before main (call_bench.cpp's).
bool raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  limit.rlim_cur = limit.rlim_max;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}
[[maybe_unused]] const bool open_file_limit_raised = raise_open_file_limit();

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point begin) { return std::chrono::duration<double>(Clock::now() - begin).count(); }

// ---------------------------------------------------------------------------
// Calls

// The input buffer BM_CallArgBytes uses (the default is 64 KiB).
constexpr uint64_t kArgInputBufferBytes = 1ull << 20;
constexpr char kBytesLength[] = "BytesLength";
// The CALL message around one bytes argument (abi/hl_wire.h): the header,
// the name as a str (u32 length, the bytes, a NUL), the argument count, and
// the value's kind and u32 length. The largest argument is the buffer less
// this.
constexpr uint64_t kBytesCallOverhead = HL_WIRE_HEADER_SIZE + 4 + (sizeof kBytesLength - 1) + 1 + 1 + 1 + 4;

// hl_call with one bytes argument of <bytes>, which the guest only measures:
// what carrying an argument into the guest costs by its size, up to the
// largest that fits the 1 MiB input buffer.
void BM_CallArgBytes(benchmark::State &state) {
  const auto size = static_cast<size_t>(state.range(0));
  hl_sandbox_t *sb = scribble_sandbox(ScribbleSizes{16ull << 20, kArgInputBufferBytes});
  if (sb == nullptr) {
    state.SkipWithError("no sandbox");
    return;
  }
  std::vector<uint8_t> data(size + 1, 0xA5);  // never empty, so the pointer is never null
  hl_val_t arg{};
  arg.kind = HL_VAL_BYTES;
  arg.of.bytes.ptr = data.data();
  arg.of.bytes.len = size;
  hl_val_t result{};
  // Untimed: the first call also allocates the input buffer's pages.
  if (failed(state, hl_call(sb, kBytesLength, &arg, 1, &result))) {
    hl_sandbox_delete(sb);
    return;
  }
  for (auto _ : state) {
    if (failed(state, hl_call(sb, kBytesLength, &arg, 1, &result))) break;
    if (result.kind != HL_VAL_I32 || static_cast<size_t>(result.of.i32) != size) {
      state.SkipWithError("BytesLength returned another length");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(size));
  state.counters["input_buffer_bytes"] = static_cast<double>(kArgInputBufferBytes);
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_CallArgBytes)
    ->Arg(0)
    ->Arg(64)
    ->Arg(1 << 10)
    ->Arg(4 << 10)
    ->Arg(16 << 10)
    ->Arg(64 << 10)
    ->Arg(256 << 10)
    ->Arg(static_cast<int64_t>(kArgInputBufferBytes - kBytesCallOverhead))
    ->UseRealTime()
    ->MinTime(bench_min_time(0.5));

// hl_call(Add) at heap <MiB>: a call touches no heap, so its cost must not
// depend on how much heap the sandbox has.
void BM_CallHeapSize(benchmark::State &state) {
  hl_sandbox_t *sb = scribble_sandbox(static_cast<uint64_t>(state.range(0)) << 20);
  if (sb == nullptr) {
    state.SkipWithError("no sandbox");
    return;
  }
  hl_val_t args[2] = {i32_val(40), i32_val(2)};
  hl_val_t result{};
  for (auto _ : state)
    if (failed(state, hl_call(sb, "Add", args, 2, &result))) break;
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_CallHeapSize)->Arg(16)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime()->MinTime(bench_min_time(0.5));

// hl_call(Add) on one sandbox per thread: items_per_second is the calls all
// threads made per second, so 2 threads against 1 shows how far calls on
// different sandboxes run in parallel (the library promises fully).
void BM_CallThroughput(benchmark::State &state) {
  hl_sandbox_t *sb = scribble_sandbox(16ull << 20);
  if (sb == nullptr) {
    state.SkipWithError("no sandbox");
    return;
  }
  hl_val_t args[2] = {i32_val(40), i32_val(2)};
  hl_val_t result{};
  CoresUsed cores;
  for (auto _ : state) {
    if (state.thread_index() == 0) cores.start_once();
    if (failed(state, hl_call(sb, "Add", args, 2, &result))) break;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  if (state.thread_index() == 0) cores.report(state);
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_CallThroughput)->Threads(1)->Threads(2)->UseRealTime()->MinTime(bench_min_time(1.0));

// From hl_kill() to the killed hl_call() returning, for a guest spinning
// in ring 3 (one fresh sandbox per iteration: a killed sandbox is
// poisoned). The tail matters as much as the mean: a caller enforcing a
// deadline waits for the slowest kill.
void BM_KillLatency(benchmark::State &state) {
  std::vector<double> samples;
  for (auto _ : state) {
    hl_sandbox_t *sb = nullptr;
    if (failed(state, hl_sandbox_new(nullptr, HL_SIMPLEGUEST_PATH, &sb))) break;
    hl_interrupt_handle_t *handle = nullptr;
    hl_error_delete(hl_sandbox_interrupt_handle(sb, &handle));
    std::atomic<int64_t> returned_ns{0};
    std::thread caller([&] {
      hl_error_delete(hl_call(sb, "Spin", nullptr, 0, nullptr));
      returned_ns = Clock::now().time_since_epoch().count();
    });
    // Kill until the call is running; time from the kill that hit it.
    int64_t killed_ns = 0;
    hl_kill_result_t r = HL_KILL_NOT_RUNNING;
    for (int attempt = 0; attempt < 10000 && r != HL_KILL_INTERRUPTED; attempt++) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      killed_ns = Clock::now().time_since_epoch().count();
      r = hl_kill(handle);
    }
    caller.join();
    hl_interrupt_handle_delete(handle);
    hl_sandbox_delete(sb);
    if (r != HL_KILL_INTERRUPTED) {
      state.SkipWithError("the call never started");
      break;
    }
    const double latency = static_cast<double>(returned_ns - killed_ns) / 1e9;
    state.SetIterationTime(latency);
    samples.push_back(latency);
  }
  set_latency_percentiles(state, samples);
}
BENCHMARK(BM_KillLatency)->UseManualTime()->Iterations(bench_iterations(200));

// ---------------------------------------------------------------------------
// Creating sandboxes

// Makes count sandboxes from source into alive; false (and the benchmark
// ended with the error) if one fails.
bool make_alive(benchmark::State &state, const SnapshotSource &source, int64_t count,
                std::vector<hl_sandbox_t *> &alive) {
  alive.reserve(alive.size() + static_cast<size_t>(count));
  for (int64_t i = 0; i < count; i++) {
    hl_sandbox_t *sb = nullptr;
    if (failed(state, source.new_sandbox(&sb))) return false;
    alive.push_back(sb);
  }
  return true;
}

void delete_all(std::vector<hl_sandbox_t *> &sandboxes) {
  for (hl_sandbox_t *sb : sandboxes) hl_sandbox_delete(sb);
  sandboxes.clear();
}

// A sandbox from a snapshot while <live> others stay alive, each deleted
// before the next as in BM_SandboxFromSnapshot (so a parked spare serves
// it): whether creation slows down as a process holds more sandboxes
// (engine bookkeeping, the kernel's per-process costs).
void BM_CreateWithLive(benchmark::State &state) {
  SnapshotSource source;
  if (!source.error().empty()) {
    state.SkipWithError(source.error().c_str());
    return;
  }
  std::vector<hl_sandbox_t *> alive;
  if (!make_alive(state, source, state.range(0), alive)) {
    delete_all(alive);
    return;
  }
  // The spare builder catches up with the burst before the first sample.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::vector<double> samples;
  for (auto _ : state) {
    hl_sandbox_t *sb = nullptr;
    const auto begin = Clock::now();
    if (failed(state, source.new_sandbox(&sb))) break;
    const double created = seconds_since(begin);
    state.SetIterationTime(created);
    samples.push_back(created);
    hl_sandbox_delete(sb);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // requests 2 ms apart, as BM_SandboxFromSnapshot
  }
  set_latency_percentiles(state, samples);
  delete_all(alive);
}

// In quick mode the live counts stop at its cap (once each).
void live_counts(benchmark::internal::Benchmark *b) {
  int64_t last = 0;
  for (int64_t live : {1, 10, 100, 1000})
    if (const int64_t capped = bench_live_cap(live); capped != last) b->Arg(last = capped);
}
BENCHMARK(BM_CreateWithLive)
    ->Apply(live_counts)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(bench_iterations(200));

// Create-from-snapshot + delete loops on 1 and 2 threads, all from one
// snapshot: whether creation scales with threads or serialises on the
// engine. items_per_second counts the creations of all threads; Google
// Benchmark's real time per iteration with 2 threads is the wall time per
// creation of the two together, so the counters p50_us and p99_us give
// the latency of one creation.
constexpr int kMaxCreateThreads = 2;
SnapshotSource *create_threads_source = nullptr;                // made and deleted by thread 0
std::vector<double> create_threads_samples[kMaxCreateThreads];  // per thread: written before the stop barrier

void BM_CreateThreads(benchmark::State &state) {
  const int thread = state.thread_index();
  if (thread == 0) create_threads_source = new SnapshotSource;
  // (the loop's start is a barrier: every thread sees the source from here on)
  std::vector<double> &samples = create_threads_samples[thread];
  samples.clear();
  CoresUsed cores;
  for (auto _ : state) {
    if (thread == 0) cores.start_once();
    const SnapshotSource &source = *create_threads_source;
    if (!source.error().empty()) {
      state.SkipWithError(source.error().c_str());
      break;
    }
    hl_sandbox_t *sb = nullptr;
    const auto begin = Clock::now();
    if (failed(state, source.new_sandbox(&sb))) break;
    samples.push_back(seconds_since(begin));
    hl_sandbox_delete(sb);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  if (thread == 0) {
    // Counters are summed over threads: only thread 0 sets these.
    std::vector<double> all;
    for (int t = 0; t < state.threads(); t++)
      all.insert(all.end(), create_threads_samples[t].begin(), create_threads_samples[t].end());
    set_latency_percentiles(state, all);
    cores.report(state);
    delete create_threads_source;
    create_threads_source = nullptr;
  }
}
BENCHMARK(BM_CreateThreads)
    ->Threads(1)
    ->Threads(kMaxCreateThreads)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(bench_min_time(1.0));

// ---------------------------------------------------------------------------
// Memory and limits

struct ProcessMemory {
  double rss_kib = 0;
  double pss_kib = -1;  // -1: no /proc/self/smaps_rollup
};

ProcessMemory process_memory() {
  ProcessMemory m;
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (statm >> size_pages >> resident_pages)
    m.rss_kib = static_cast<double>(resident_pages) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1024;
  std::ifstream rollup("/proc/self/smaps_rollup");
  for (std::string key; rollup >> key;) {
    if (key == "Pss:") {
      rollup >> m.pss_kib;
      break;
    }
    rollup.ignore(1 << 10, '\n');
  }
  return m;
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    n++;
  return n;
}

// What the process holds before a burst of sandboxes, to divide the growth
// by their number. The spare builder has finished (it keeps the same few
// spares before and after, so they do not count per sandbox).
struct Baseline {
  ProcessMemory memory;
  double fds;
};

Baseline settled_baseline() {
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return Baseline{process_memory(), open_fds()};
}

void count_growth_per_sandbox(benchmark::State &state, const Baseline &before, size_t sandboxes) {
  if (sandboxes == 0) return;
  const Baseline after = settled_baseline();
  const auto n = static_cast<double>(sandboxes);
  state.counters["rss_kib_per_sandbox"] = (after.memory.rss_kib - before.memory.rss_kib) / n;
  if (before.memory.pss_kib >= 0 && after.memory.pss_kib >= 0)
    state.counters["pss_kib_per_sandbox"] = (after.memory.pss_kib - before.memory.pss_kib) / n;
  state.counters["fds_per_sandbox"] = (after.fds - before.fds) / n;
}

// Resident memory per idle sandbox made from a snapshot, with <n> alive:
// what a process holding many idle tenants pays for each (the target is
// under 1 MiB). The snapshot's heap is 16 MiB; the figure grows with the
// heap, as each sandbox has its own copy of the guest's page tables (4 KiB
// per 2 MiB mapped). The time is one creation's, averaged over the burst.
void BM_IdleSandboxMemory(benchmark::State &state) {
  SnapshotSource source;
  if (!source.error().empty()) {
    state.SkipWithError(source.error().c_str());
    return;
  }
  std::vector<hl_sandbox_t *> alive;
  // One made and deleted first: the spares exist before the baseline too.
  if (!make_alive(state, source, 1, alive)) return;
  delete_all(alive);
  for (auto _ : state) {
    const Baseline before = settled_baseline();
    const auto begin = Clock::now();
    if (!make_alive(state, source, state.range(0), alive)) break;
    state.SetIterationTime(seconds_since(begin) / static_cast<double>(alive.size()));
    count_growth_per_sandbox(state, before, alive.size());
    state.counters["sandboxes"] = static_cast<double>(alive.size());
  }
  delete_all(alive);
}
BENCHMARK(BM_IdleSandboxMemory)
    ->Arg(bench_live_cap(1000))
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(1);

// Sandboxes from a snapshot kept alive until one fails or the cap: how many
// one process can hold (the target is at least 1000). A failure is a
// result here, not an error: failed = 1 and the reason on stderr.
void BM_MaxLiveSandboxes(benchmark::State &state) {
  const int64_t cap = bench_live_cap(2000);
  SnapshotSource source;
  if (!source.error().empty()) {
    state.SkipWithError(source.error().c_str());
    return;
  }
  std::vector<hl_sandbox_t *> alive;
  bool hit_failure = false;
  for (auto _ : state) {
    const Baseline before = settled_baseline();
    const auto begin = Clock::now();
    alive.reserve(static_cast<size_t>(cap));
    while (static_cast<int64_t>(alive.size()) < cap) {
      hl_sandbox_t *sb = nullptr;
      if (hl_error_t *err = source.new_sandbox(&sb); err != nullptr) {
        std::fprintf(stderr, "BM_MaxLiveSandboxes: sandbox %zu failed: %s\n", alive.size() + 1, hl_error_message(err));
        hl_error_delete(err);
        hit_failure = true;
        break;
      }
      alive.push_back(sb);
    }
    if (!alive.empty()) state.SetIterationTime(seconds_since(begin) / static_cast<double>(alive.size()));
    count_growth_per_sandbox(state, before, alive.size());
  }
  state.counters["cap"] = static_cast<double>(cap);
  state.counters["max_live"] = static_cast<double>(alive.size());
  state.counters["failed"] = hit_failure ? 1 : 0;
  delete_all(alive);
}
BENCHMARK(BM_MaxLiveSandboxes)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(1);

}  // namespace
