// hl_call against the exit floor, measured in the same run.
//
// Floor: one KVM_RUN round trip on a real sandbox's own VM and vCPU, whose
// guest code only exits again (src/sandbox/exit_floor.h): the least any call
// can cost on this host. The two-exit floor is the least a call with one host
// call can cost. The old floor, a hand-built VM, is kept as BM_BareVmExitFloor
// to show why it was not one (docs/benchmarks.md). The ratios are printed at
// the end (and rendered by scripts/bench-report.sh).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "abi/hl_abi.h"
#include "bench_mode.h"
#include "bench_sandbox.h"
#include "engine/engine.h"
#include "hyperlight.h"
#include "interleave.h"
#include "kvm/kvm_system.h"
#include "mem/guest_memory.h"
#include "mem/layout.h"
#include "percentiles.h"
#include "sandbox/exit_floor.h"
#include "x86/page_tables.h"
#include "x86/system_tables.h"

namespace {

// The old floor: a minimal CPL3 VM built by hand (page tables, GDT/TSS with
// ports open, one code page, a 1 MiB slot), unlike a sandbox's VM in ways
// that change the exit cost.
class BareVm {
 public:
  BareVm()
      : kvm_(hl::kvm::KvmSystem::open("/dev/kvm")),
        memory_(kMemory),
        vm_(kvm_->create_vm()),
        vcpu_((vm_.set_memory_slot(0, 0, kMemory, memory_.host_base(), 0), vm_.create_vcpu(kvm_->guest_cpuid()))) {
    using namespace hl::mem;
    using namespace hl::x86;
    std::vector<PageMapping> maps = {{kTables, 4 * kPageSize, {}},
                                     {kGdt, kPageSize, {}},
                                     {kCode, kPageSize, {true, false, true}},
                                     {kStack, kPageSize, {true, true, false}}};
    build_page_tables(memory_.span(kTables, 4 * kPageSize), kTables, kMemory, maps);
    write_gdt_and_tss(memory_.span(kGdt, kPageSize), kGdt, kStack + kPageSize);
    // out 0x60, eax ; jmp back to the out
    const uint8_t code[] = {0xE7, static_cast<uint8_t>(HL_PORT_DONE), 0xEB, 0xFC};
    std::memcpy(memory_.span(kCode, sizeof code).data(), code, sizeof code);

    kvm_sregs s = vcpu_.get_sregs();
    kvm_segment cs{};
    cs.limit = 0xffffffff;
    cs.selector = kUserCodeSelector;
    cs.type = 11;
    cs.present = cs.s = cs.l = cs.g = 1;
    cs.dpl = 3;
    kvm_segment ds = cs;
    ds.selector = kUserDataSelector;
    ds.type = 3;
    ds.l = 0;
    ds.db = 1;
    s.cs = cs;
    s.ds = s.es = s.fs = s.gs = s.ss = ds;
    kvm_segment tr{};
    tr.base = kGdt + kTssOffset;
    tr.limit = tss_limit();
    tr.selector = kTssSelector;
    tr.type = 11;
    tr.present = 1;
    s.tr = tr;
    s.gdt.base = kGdt;
    s.gdt.limit = kGdtEntries * 8 - 1;
    s.cr0 = 0x80010033;
    s.cr3 = kTables;
    s.cr4 = 0x620;
    s.efer = 0xD01;
    vcpu_.set_sregs(s);
    kvm_regs r{};
    r.rip = kCode;
    r.rsp = kStack + kPageSize - 8;
    r.rflags = 2;
    vcpu_.set_regs(r);
  }

  bool exit_once() { return vcpu_.run() == 0 && vcpu_.run_state()->exit_reason == KVM_EXIT_IO; }

 private:
  static constexpr uint64_t kMemory = 1 << 20, kTables = 0x1000, kGdt = 0x5000, kCode = 0x6000, kStack = 0x7000;
  std::shared_ptr<const hl::kvm::KvmSystem> kvm_;
  hl::mem::GuestMemory memory_;
  hl::kvm::Vm vm_;
  hl::kvm::Vcpu vcpu_;
};

void BM_BareVmExitFloor(benchmark::State &state) {
  BareVm vm;
  for (auto _ : state)
    if (!vm.exit_once()) state.SkipWithError("unexpected exit");
}
BENCHMARK(BM_BareVmExitFloor)->UseRealTime()->MinTime(bench_min_time(1.0));

// A sandbox of the guest the calls run, taken over by an ExitFloor: the
// same engine (the default one), config and VM setup as hl_sandbox_new's.
class FloorSandbox {
 public:
  FloorSandbox() : sandbox_(make()), floor_(*sandbox_) {}
  const hl::ExitFloor &floor() const { return floor_; }

 private:
  static std::unique_ptr<hl::Sandbox> make() {
    std::ifstream file(HL_SIMPLEGUEST_PATH, std::ios::binary);
    std::vector<uint8_t> elf((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    return hl::Engine::default_engine()->create_sandbox(hl::SandboxConfig{}, elf);
  }
  std::unique_ptr<hl::Sandbox> sandbox_;
  hl::ExitFloor floor_;
};

// The floor: every call writes the entry registers through sync_regs (no
// ioctl) and runs the vCPU until the guest's next exit, as this does.
void BM_ExitFloor(benchmark::State &state) {
  FloorSandbox sb;
  for (auto _ : state)
    if (!sb.floor().enter_and_exit()) state.SkipWithError("unexpected exit");
}
BENCHMARK(BM_ExitFloor)->UseRealTime()->MinTime(bench_min_time(1.0));

// Without the entry registers: the guest resumes where it exited.
void BM_ExitFloorResume(benchmark::State &state) {
  FloorSandbox sb;
  for (auto _ : state)
    if (!sb.floor().exit_once()) state.SkipWithError("unexpected exit");
}
BENCHMARK(BM_ExitFloorResume)->UseRealTime()->MinTime(bench_min_time(1.0));

// The floor's own tail, timed exit by exit as BM_Tail times calls: what
// the machine adds to any exit now and then (timer ticks, the nested host
// preempting this VM's vCPU), which no call can beat either.
void BM_ExitFloorTail(benchmark::State &state) {
  FloorSandbox sb;
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  for (auto _ : state) {
    const auto begin = std::chrono::steady_clock::now();
    if (!sb.floor().enter_and_exit()) state.SkipWithError("unexpected exit");
    samples.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  set_latency_percentiles(state, samples);
  const double p50 = percentile(samples, 50);
  if (p50 > 0) state.counters["p99_over_p50"] = percentile(samples, 99) / p50;
}
BENCHMARK(BM_ExitFloorTail)->UseRealTime()->Iterations(bench_iterations(20000));

// A call with one host call exits twice: into the host function and done.
void BM_TwoExitFloor(benchmark::State &state) {
  FloorSandbox sb;
  for (auto _ : state)
    if (!sb.floor().enter_and_exit() || !sb.floor().exit_once()) state.SkipWithError("unexpected exit");
}
BENCHMARK(BM_TwoExitFloor)->UseRealTime()->MinTime(bench_min_time(1.0));

hl_sandbox_t *make_sandbox() {
  hl_sandbox_t *sb = nullptr;
  hl_error_t *err = hl_sandbox_new(nullptr, HL_SIMPLEGUEST_PATH, &sb);
  if (err != nullptr) {
    std::fprintf(stderr, "hl_sandbox_new: %s\n", hl_error_message(err));
    hl_error_delete(err);
  }
  return sb;
}

hl_error_t *host_add(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I32;
  result->of.i32 = args[0].of.i32 + args[1].of.i32;
  return nullptr;
}

// HostAdd as a plain C function (hl_register_typed, called through libffi).
int32_t typed_host_add(int32_t a, int32_t b) { return a + b; }

enum class HostAdd { kUniform, kTyped };

void run_calls(benchmark::State &state, const char *function, HostAdd host_add_kind = HostAdd::kUniform) {
  hl_sandbox_t *sb = make_sandbox();
  if (sb == nullptr) {
    state.SkipWithError("no sandbox");
    return;
  }
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  if (host_add_kind == HostAdd::kTyped)
    hl_error_delete(hl_register_typed(sb, "HostAdd", params, 2, HL_VAL_I32,
                                      reinterpret_cast<hl_typed_fn_t>(typed_host_add), 0, nullptr, nullptr));
  else
    hl_error_delete(hl_register(sb, "HostAdd", params, 2, HL_VAL_I32, host_add, nullptr, nullptr));
  hl_val_t args[2] = {};
  args[0].kind = args[1].kind = HL_VAL_I32;
  args[0].of.i32 = 40;
  args[1].of.i32 = 2;
  hl_val_t result;
  for (auto _ : state) {
    hl_error_t *err = hl_call(sb, function, args, 2, &result);
    if (err != nullptr) {
      state.SkipWithError(hl_error_message(err));
      hl_error_delete(err);
      break;
    }
  }
  hl_sandbox_delete(sb);
}

void BM_HlCallAdd(benchmark::State &state) { run_calls(state, "Add"); }
BENCHMARK(BM_HlCallAdd)->UseRealTime()->MinTime(bench_min_time(1.0));

// Add(40, 2) through a guest function pointer (a libffi closure) instead of hl_call.
void BM_GuestFunctionPointerAdd(benchmark::State &state) {
  hl_sandbox_t *sb = make_sandbox();
  if (sb == nullptr) {
    state.SkipWithError("no sandbox");
    return;
  }
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  hl_guest_function_t *fn = nullptr;
  hl_error_t *err = hl_guest_function_new(sb, "Add", HL_VAL_I32, params, 2, &fn);
  if (err != nullptr) {
    state.SkipWithError(hl_error_message(err));
    hl_error_delete(err);
    hl_sandbox_delete(sb);
    return;
  }
  auto add = reinterpret_cast<int32_t (*)(hl_error_t **, int32_t, int32_t)>(hl_guest_function_pointer(fn));
  for (auto _ : state) {
    int32_t sum = add(&err, 40, 2);
    benchmark::DoNotOptimize(sum);
    if (err != nullptr) {
      state.SkipWithError(hl_error_message(err));
      hl_error_delete(err);
      break;
    }
  }
  hl_guest_function_delete(fn);
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_GuestFunctionPointerAdd)->UseRealTime()->MinTime(bench_min_time(1.0));

void BM_HlCallAddViaHost(benchmark::State &state) { run_calls(state, "AddViaHost"); }
BENCHMARK(BM_HlCallAddViaHost)->UseRealTime()->MinTime(bench_min_time(1.0));

void BM_HlCallAddViaHostTyped(benchmark::State &state) { run_calls(state, "AddViaHost", HostAdd::kTyped); }
BENCHMARK(BM_HlCallAddViaHostTyped)->UseRealTime()->MinTime(bench_min_time(1.0));

// The same comparisons interleaved (interleave.h).
const hl_val_t add_args[2] = {i32_val(40), i32_val(2)};

// The headline ratios, interleaved: hl_call(Add) / the exit floor, and
// hl_call(AddViaHost) / the two-exit floor.
void BM_InterleavedCallVsFloor(benchmark::State &state) {
  FloorSandbox floor;
  hl_sandbox_t *sb = make_sandbox();
  hl_val_t result;
  interleave(
      state, [&] { floor.floor().enter_and_exit(); },
      [&] { hl_error_delete(hl_call(sb, "Add", add_args, 2, &result)); });
  // The floor must never be the slower (else it is not the floor).
  auto ratio = state.counters.find("ratio");
  if (ratio != state.counters.end() && ratio->second.value > 0)
    state.counters["floor_over_call"] = 1.0 / ratio->second.value;
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_InterleavedCallVsFloor)->UseRealTime()->MinTime(bench_min_time(2.0));

// The old floor against the new one, interleaved: ratio = bare VM / sandbox.
void BM_InterleavedBareVmVsExitFloor(benchmark::State &state) {
  FloorSandbox floor;
  BareVm bare;
  // The bare VM's guest resumes at its jump: compare with the same.
  interleave(
      state, [&] { floor.floor().exit_once(); }, [&] { bare.exit_once(); });
}
BENCHMARK(BM_InterleavedBareVmVsExitFloor)->UseRealTime()->MinTime(bench_min_time(2.0));

// What writing the entry registers adds to an exit: ratio = with / without.
void BM_InterleavedEntryVsResume(benchmark::State &state) {
  FloorSandbox floor;
  interleave(
      state, [&] { floor.floor().exit_once(); }, [&] { floor.floor().enter_and_exit(); });
}
BENCHMARK(BM_InterleavedEntryVsResume)->UseRealTime()->MinTime(bench_min_time(2.0));

void BM_InterleavedHostCallVsTwoExitFloor(benchmark::State &state) {
  FloorSandbox floor;
  hl_sandbox_t *sb = make_sandbox();
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  hl_error_delete(hl_register(sb, "HostAdd", params, 2, HL_VAL_I32, host_add, nullptr, nullptr));
  hl_val_t result;
  interleave(
      state,
      [&] {
        floor.floor().enter_and_exit();
        floor.floor().exit_once();
      },
      [&] { hl_error_delete(hl_call(sb, "AddViaHost", add_args, 2, &result)); });
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_InterleavedHostCallVsTwoExitFloor)->UseRealTime()->MinTime(bench_min_time(2.0));

void BM_InterleavedPointerVsHlCall(benchmark::State &state) {
  hl_sandbox_t *sb = make_sandbox();
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  hl_guest_function_t *fn = nullptr;
  hl_error_delete(hl_guest_function_new(sb, "Add", HL_VAL_I32, params, 2, &fn));
  auto add = reinterpret_cast<int32_t (*)(hl_error_t **, int32_t, int32_t)>(hl_guest_function_pointer(fn));
  hl_val_t args[2] = {};
  args[0].kind = args[1].kind = HL_VAL_I32;
  args[0].of.i32 = 40;
  args[1].of.i32 = 2;
  hl_val_t result;
  interleave(
      state, [&] { hl_error_delete(hl_call(sb, "Add", args, 2, &result)); },
      [&] { benchmark::DoNotOptimize(add(nullptr, 40, 2)); });
  hl_guest_function_delete(fn);
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_InterleavedPointerVsHlCall)->UseRealTime()->MinTime(bench_min_time(2.0));

void BM_InterleavedTypedVsUniformHost(benchmark::State &state) {
  hl_sandbox_t *uniform = make_sandbox(), *typed = make_sandbox();
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  hl_error_delete(hl_register(uniform, "HostAdd", params, 2, HL_VAL_I32, host_add, nullptr, nullptr));
  hl_error_delete(hl_register_typed(typed, "HostAdd", params, 2, HL_VAL_I32,
                                    reinterpret_cast<hl_typed_fn_t>(typed_host_add), 0, nullptr, nullptr));
  hl_val_t args[2] = {};
  args[0].kind = args[1].kind = HL_VAL_I32;
  args[0].of.i32 = 40;
  args[1].of.i32 = 2;
  hl_val_t result;
  interleave(
      state, [&] { hl_error_delete(hl_call(uniform, "AddViaHost", args, 2, &result)); },
      [&] { hl_error_delete(hl_call(typed, "AddViaHost", args, 2, &result)); });
  hl_sandbox_delete(typed);
  hl_sandbox_delete(uniform);
}
BENCHMARK(BM_InterleavedTypedVsUniformHost)->UseRealTime()->MinTime(bench_min_time(2.0));

// What per-call statistics cost (docs/observability.md): hl_call_ex with
// stats reads the thread's CPU clock twice more per call (and twice per host
// call) than hl_call, which counts the engine's metrics only.
void BM_InterleavedStatsVsHlCall(benchmark::State &state) {
  hl_sandbox_t *sb = make_sandbox();
  hl_val_t args[2] = {};
  args[0].kind = args[1].kind = HL_VAL_I32;
  args[0].of.i32 = 40;
  args[1].of.i32 = 2;
  hl_val_t result;
  hl_call_stats_t stats;
  interleave(
      state, [&] { hl_error_delete(hl_call(sb, "Add", args, 2, &result)); },
      [&] { hl_error_delete(hl_call_ex(sb, "Add", args, 2, &result, nullptr, &stats)); });
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_InterleavedStatsVsHlCall)->UseRealTime()->MinTime(bench_min_time(2.0));

// What a time limit costs a call that ends long before it: an entry in the
// engine's deadline timer, and no wake-up of its thread (DeadlineTimer).
void BM_InterleavedTimeoutVsHlCall(benchmark::State &state) {
  hl_sandbox_t *sb = make_sandbox();
  hl_val_t result;
  interleave(
      state, [&] { hl_error_delete(hl_call(sb, "Add", add_args, 2, &result)); },
      [&] { hl_error_delete(hl_call_with_timeout(sb, "Add", add_args, 2, &result, 1'000'000'000)); });
  hl_sandbox_delete(sb);
}
BENCHMARK(BM_InterleavedTimeoutVsHlCall)->UseRealTime()->MinTime(bench_min_time(2.0));

void BM_SandboxCreateDelete(benchmark::State &state) {
  for (auto _ : state) hl_sandbox_delete(make_sandbox());
}
BENCHMARK(BM_SandboxCreateDelete)->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(bench_min_time(1.0));

// Console output, then the targets of docs/benchmarks.md judged on this run.
// The same targets as tools/benchreport/targets.yaml, which renders them into
// the page (scripts/bench-report.sh): keep the two lists alike.
class TargetReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run &r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      const std::string name = r.benchmark_name();
      ns_[name] = r.GetAdjustedRealTime() * (r.time_unit == benchmark::kMicrosecond ? 1e3 : 1.0);
      for (const auto &[counter, value] : r.counters) counters_[name + "#" + counter] = value.value;
    }
  }

  void print_targets() const {
    std::printf("\ntargets (docs/benchmarks.md; interleaved ratios where the bench has them):\n");
    judge("hl_call(Add) / exit floor", counter("BM_InterleavedCallVsFloor", "ratio"), 1.10);
    judge("hl_call(AddViaHost) / two-exit floor", counter("BM_InterleavedHostCallVsTwoExitFloor", "ratio"), 1.10);
    judge("exit floor / hl_call(Add): never slower", counter("BM_InterleavedCallVsFloor", "floor_over_call"), 1.0);
    for (const char *heap : {"16", "1024"})
      judge(std::string("call+restore / call, 16 pages, ") + heap + " MiB heap",
            counter(std::string("BM_InterleavedCallAndRestoreVsCall/") + heap, "ratio"), 1.3);
    judge("sandbox from snapshot / raw VM creation", ratio("BM_SandboxFromSnapshot", "BM_RawVmCreate"), 0.2);
    const double kill_p50_us = counter("BM_KillLatency", "p50_us"), floor_ns = time_ns("BM_ExitFloor");
    judge("kill latency, median / exit floor", kill_p50_us > 0 && floor_ns > 0 ? kill_p50_us * 1e3 / floor_ns : -1,
          1.5);
    const double max_live = counter("BM_MaxLiveSandboxes", "max_live");
    if (max_live >= 0)
      std::printf("  %-52s %8.0f   %s (>= 1000)\n", "sandboxes alive at once", max_live,
                  max_live >= 1000 ? "holds" : "MISSES");
    judge("idle sandbox RSS, KiB", counter("BM_IdleSandboxMemory", "rss_kib_per_sandbox"), 1023.99);
    judge("hl_call p99 / p50", counter("BM_Tail/kind:0", "p99_over_p50"), 2.0);
    judge("hl_call_and_restore p99 / p50", counter("BM_Tail/kind:1", "p99_over_p50"), 2.0);
    const double create_p50 = counter("BM_Tail/kind:2", "create_p50_us"),
                 create_p99 = counter("BM_Tail/kind:2", "create_p99_us");
    judge("sandbox from snapshot p99 / p50, create-call-delete loop",
          create_p50 > 0 && create_p99 >= 0 ? create_p99 / create_p50 : -1, 3.0);
  }

 private:
  // A run's leading name is the benchmark's name and arguments; Google
  // Benchmark appends "/min_time:...", "/iterations:...", "/threads:...".
  static bool named(const std::string &run, const std::string &name) {
    return run.rfind(name, 0) == 0 && (run.size() == name.size() || run[name.size()] == '/' || run[name.size()] == '#');
  }
  double time_ns(const std::string &name) const {
    for (const auto &[run, ns] : ns_)
      if (named(run, name)) return ns;
    return -1;
  }
  double counter(const std::string &name, const std::string &counter_name) const {
    for (const auto &[key, value] : counters_)
      if (named(key, name) && key.substr(key.find('#') + 1) == counter_name) return value;
    return -1;
  }
  double ratio(const std::string &numerator, const std::string &denominator) const {
    const double a = time_ns(numerator), b = time_ns(denominator);
    return a > 0 && b > 0 ? a / b : -1;
  }
  static void judge(const std::string &what, double value, double at_most) {
    if (value < 0)
      std::printf("  %-52s %8s   not measured\n", what.c_str(), "-");
    else
      std::printf("  %-52s %8.2f   %s (<= %.2f)\n", what.c_str(), value, value <= at_most ? "holds" : "MISSES",
                  at_most);
  }
  std::map<std::string, double> ns_;
  std::map<std::string, double> counters_;  // "run#counter"
};

}  // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  TargetReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_targets();
  benchmark::Shutdown();
  return 0;
}
