// hl_call against the raw KVM floor, measured in the same run.
//
// Floor: a bare VM whose ring-3 code does `out` in a loop; one iteration is
// one KVM_RUN exit round trip, the least any call can cost on this host.
// The ratio hl_call / floor is printed at the end, and the cost of typed
// functions (libffi) against the uniform callback and hl_call.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "abi/hl_abi.h"
#include "hyperlight.h"
#include "kvm/kvm_system.h"
#include "mem/guest_memory.h"
#include "mem/layout.h"
#include "x86/page_tables.h"
#include "x86/system_tables.h"

namespace {

// A minimal CPL3 VM: page tables, GDT/TSS (ports open), one code page.
class FloorVm {
 public:
  FloorVm()
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

void BM_RawKvmExitFloor(benchmark::State &state) {
  FloorVm vm;
  for (auto _ : state)
    if (!vm.exit_once()) state.SkipWithError("unexpected exit");
}
BENCHMARK(BM_RawKvmExitFloor)->UseRealTime()->MinTime(1.0);

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
BENCHMARK(BM_HlCallAdd)->UseRealTime()->MinTime(1.0);

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
BENCHMARK(BM_GuestFunctionPointerAdd)->UseRealTime()->MinTime(1.0);

void BM_HlCallAddViaHost(benchmark::State &state) { run_calls(state, "AddViaHost"); }
BENCHMARK(BM_HlCallAddViaHost)->UseRealTime()->MinTime(1.0);

void BM_HlCallAddViaHostTyped(benchmark::State &state) { run_calls(state, "AddViaHost", HostAdd::kTyped); }
BENCHMARK(BM_HlCallAddViaHostTyped)->UseRealTime()->MinTime(1.0);

// The same comparisons interleaved: batches of 100 calls alternate between
// the two ways, so a change in the machine's load hits both alike (a shared
// 2-core machine drifts by more than the differences measured). The ratio of
// the summed times is the counter "ratio".
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
BENCHMARK(BM_InterleavedPointerVsHlCall)->UseRealTime()->MinTime(2.0);

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
BENCHMARK(BM_InterleavedTypedVsUniformHost)->UseRealTime()->MinTime(2.0);

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
BENCHMARK(BM_InterleavedStatsVsHlCall)->UseRealTime()->MinTime(2.0);

void BM_SandboxCreateDelete(benchmark::State &state) {
  for (auto _ : state) hl_sandbox_delete(make_sandbox());
}
BENCHMARK(BM_SandboxCreateDelete)->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// Console output plus the per-benchmark real time, for the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run &r : runs)
      if (!r.error_occurred && r.run_type == Run::RT_Iteration) {
        ns_[r.benchmark_name()] = r.GetAdjustedRealTime() * (r.time_unit == benchmark::kMicrosecond ? 1e3 : 1.0);
        auto ratio = r.counters.find("ratio");
        if (ratio != r.counters.end()) ratios_[r.benchmark_name()] = ratio->second.value;
      }
    // Manual-time runs report real time as the manual time.
  }
  void print_ratios() const {
    auto floor = find("BM_RawKvmExitFloor");
    if (floor <= 0) return;
    std::printf("\nratios to the raw KVM exit floor (%.2f us):\n", floor / 1e3);
    for (const char *name : {"BM_HlCallAdd", "BM_HlCallAddViaHost", "BM_HlCallAddViaHostTyped",
                             "BM_GuestFunctionPointerAdd", "BM_KillLatency"}) {
      double t = find(name);
      if (t > 0) std::printf("  %-26s %8.2f us  %5.2fx floor\n", name, t / 1e3, t / floor);
    }
    std::printf("\ntyped functions through libffi:\n");
    double uniform = exact("BM_HlCallAddViaHost"), typed = exact("BM_HlCallAddViaHostTyped");
    if (uniform > 0 && typed > 0)
      std::printf("  AddViaHost, typed host function / uniform callback: %5.3fx (target <= 1.05)\n", typed / uniform);
    double by_name = exact("BM_HlCallAdd"), by_pointer = exact("BM_GuestFunctionPointerAdd");
    if (by_name > 0 && by_pointer > 0)
      std::printf("  Add, guest function pointer / hl_call:              %5.3fx (target <= 1.02)\n",
                  by_pointer / by_name);
    double typed_interleaved = counted_ratio("BM_InterleavedTypedVsUniformHost");
    if (typed_interleaved > 0)
      std::printf("  ... interleaved, typed / uniform:                   %5.3fx\n", typed_interleaved);
    double pointer_interleaved = counted_ratio("BM_InterleavedPointerVsHlCall");
    if (pointer_interleaved > 0)
      std::printf("  ... interleaved, pointer / hl_call:                 %5.3fx\n", pointer_interleaved);
    double stats_interleaved = counted_ratio("BM_InterleavedStatsVsHlCall");
    if (stats_interleaved > 0)
      std::printf("\nobservability: hl_call_ex with stats / hl_call, interleaved: %5.3fx\n", stats_interleaved);
    std::printf("\nsnapshots (a request writing 16 pages; heap size in MiB after the slash):\n");
    for (const char *size : {"16", "256"}) {
      double call = find(std::string("BM_CallTouch16/") + size);
      double both = find(std::string("BM_CallAndRestoreTouch16/") + size);
      double restore = find(std::string("BM_Restore16Dirty/") + size);
      if (call > 0 && both > 0)
        std::printf(
            "  %3s MiB: call %7.2f us, restore %6.2f us, call+restore %7.2f us = %4.2fx call (target <= 1.5x)\n", size,
            call / 1e3, restore / 1e3, both / 1e3, both / call);
    }
    double small = find("BM_CallAndRestoreTouch16/16"), large = find("BM_CallAndRestoreTouch16/256");
    if (small > 0 && large > 0)
      std::printf("  call+restore 256 MiB / 16 MiB: %4.2fx (target within 1.2x)\n", large / small);
    double raw = find("BM_RawVmCreate"), from_snapshot = find("BM_SandboxFromSnapshot"),
           cold = find("BM_ColdSandboxFromElf");
    if (raw > 0 && from_snapshot > 0)
      std::printf("  sandbox from snapshot %7.2f us = %4.2fx raw VM create %7.2f us (target <= 0.3x)\n",
                  from_snapshot / 1e3, from_snapshot / raw, raw / 1e3);
    double kept = find("BM_SandboxFromSnapshotAllKept/2"), no_pool = find("BM_SandboxFromSnapshotAllKept/0");
    if (raw > 0 && kept > 0)
      std::printf("  ... all kept alive, spares built ahead %7.2f us = %4.2fx raw VM create\n", kept / 1e3, kept / raw);
    if (raw > 0 && no_pool > 0)
      std::printf("  ... all kept alive, pool off           %7.2f us = %4.2fx raw VM create\n", no_pool / 1e3,
                  no_pool / raw);
    if (cold > 0 && from_snapshot > 0)
      std::printf("  cold sandbox from ELF %7.2f us = %4.2fx from snapshot\n", cold / 1e3, cold / from_snapshot);
  }

 private:
  // The benchmark called exactly `name` (run names go on with "/min_time:...").
  double exact(const std::string &name) const {
    for (const auto &[run, ns] : ns_)
      if (run.substr(0, run.find('/')) == name) return ns;
    return -1;
  }
  double find(const std::string &prefix) const {
    for (const auto &[name, ns] : ns_)
      if (name.rfind(prefix, 0) == 0) return ns;
    return -1;
  }
  double counted_ratio(const std::string &name) const {
    for (const auto &[run, ratio] : ratios_)
      if (run.substr(0, run.find('/')) == name) return ratio;
    return -1;
  }
  std::map<std::string, double> ns_;
  std::map<std::string, double> ratios_;  // the "ratio" counters of interleaved runs
};

}  // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
