// Metrics, per-call statistics, span callbacks, CPU budgets and print
// capture, through the C ABI on real guests. Each test that counts uses an
// engine of its own, so other tests cannot move its counters.
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

struct Engine {
  EnginePtr engine;
  ConfigPtr config;
  explicit Engine(uint32_t pool_size = 0, hl_engine_config_t *engine_config = nullptr) {
    EngineConfigPtr owned(engine_config != nullptr ? nullptr : hl_engine_config_new());
    hl_engine_config_t *ec = engine_config != nullptr ? engine_config : owned.get();
    EXPECT_FALSE(ErrorPtr(hl_engine_config_set_vm_pool_size(ec, pool_size)));
    hl_engine_t *e = nullptr;
    ErrorPtr err(hl_engine_new(ec, &e));
    EXPECT_FALSE(err) << describe(err);
    engine.reset(e);
    config.reset(hl_config_new());
    EXPECT_FALSE(ErrorPtr(hl_config_set_engine(config.get(), engine.get())));
  }
  hl_metrics_t metrics() const {
    hl_metrics_t m;
    std::memset(&m, 0xff, sizeof m);  // every field must be written
    ErrorPtr err(hl_engine_metrics(engine.get(), &m));
    EXPECT_FALSE(err) << describe(err);
    return m;
  }
};

hl_error_t *add_slowly(void *user_data, const hl_val_t *args, size_t, hl_val_t *result) {
  std::this_thread::sleep_for(std::chrono::milliseconds(*static_cast<int *>(user_data)));
  *result = i32(args[0].of.i32 + args[1].of.i32);
  return nullptr;
}

void register_host_add(hl_sandbox_t *sb, int *sleep_ms) {
  static const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  ErrorPtr err(hl_register(sb, "HostAdd", params, 2, HL_VAL_I32, add_slowly, sleep_ms, nullptr));
  ASSERT_FALSE(err) << describe(err);
}

ErrorPtr call_spin_and_kill(hl_sandbox_t *sb, int *interrupted, int *stale) {
  hl_interrupt_handle_t *h = nullptr;
  EXPECT_FALSE(ErrorPtr(hl_sandbox_interrupt_handle(sb, &h)));
  HandlePtr handle(h);
  std::atomic<bool> done{false};
  std::thread killer([&] {
    // Kills before the call has started find nothing to stop: stale ones.
    while (!done.load()) {
      const hl_kill_result_t r = hl_kill(handle.get());
      if (r == HL_KILL_INTERRUPTED) {
        (*interrupted)++;
        return;
      }
      (*stale)++;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  ErrorPtr err(hl_call(sb, "Spin", nullptr, 0, nullptr));
  done = true;
  killer.join();
  return err;
}

TEST(Observability, CountersMoveExactly) {
  Engine e;
  SandboxPtr sb = new_sandbox(e.config.get());
  hl_snapshot_t *snap_raw = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_sandbox_snapshot(sb.get(), &snap_raw)));
  std::unique_ptr<hl_snapshot_t, void (*)(hl_snapshot_t *)> snap(snap_raw, hl_snapshot_delete);

  int interrupted = 0, stale = 0;
  hl_val_t args[] = {i32(2), i32(3)};
  for (int i = 0; i < 5; i++) ASSERT_FALSE(ErrorPtr(hl_call(sb.get(), "Add", args, 2, nullptr)));
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(code_of(call_spin_and_kill(sb.get(), &interrupted, &stale)), HL_ERROR_CANCELLED);
    ASSERT_FALSE(ErrorPtr(hl_sandbox_restore(sb.get(), snap.get())));
  }
  for (int i = 0; i < 2; i++) {
    EXPECT_EQ(code_of(ErrorPtr(hl_call_with_timeout(sb.get(), "Spin", nullptr, 0, nullptr, 20'000'000))),
              HL_ERROR_TIMEOUT);
    ASSERT_FALSE(ErrorPtr(hl_sandbox_restore(sb.get(), snap.get())));
  }
  hl_interrupt_handle_t *h = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_sandbox_interrupt_handle(sb.get(), &h)));
  EXPECT_EQ(hl_kill(h), HL_KILL_NOT_RUNNING);  // nothing running: a stale kill
  stale++;

  hl_metrics_t m = e.metrics();
  EXPECT_EQ(m.calls, 10u);
  EXPECT_EQ(m.call_failures, 5u);
  EXPECT_EQ(m.failures_by_code[HL_ERROR_CANCELLED], 3u);
  EXPECT_EQ(m.failures_by_code[HL_ERROR_TIMEOUT], 2u);
  uint64_t other_failures = 0;
  for (size_t code = 0; code < HL_METRICS_ERROR_CODES; code++)
    if (code != HL_ERROR_CANCELLED && code != HL_ERROR_TIMEOUT) other_failures += m.failures_by_code[code];
  EXPECT_EQ(other_failures, 0u);
  EXPECT_EQ(interrupted, 3);
  EXPECT_EQ(m.kills, 3u);
  EXPECT_EQ(m.stale_kills, static_cast<uint64_t>(stale));
  EXPECT_EQ(m.restores, 5u);
  EXPECT_GE(m.pages_restored, 5u);  // at least the PEB each time
  EXPECT_EQ(m.call_duration.count, 10u);
  EXPECT_EQ(m.restore_duration.count, 5u);
  uint64_t in_buckets = 0;
  for (uint64_t b : m.call_duration.buckets) in_buckets += b;
  EXPECT_EQ(in_buckets, 10u);
  EXPECT_GE(m.call_duration.sum_ns, 2 * 20'000'000u);  // the two timeouts alone
  EXPECT_EQ(m.sandboxes_created[HL_ORIGIN_COLD], 1u);
  EXPECT_EQ(m.create_duration.count, 1u);
  EXPECT_EQ(m.sandboxes_deleted, 0u);
  EXPECT_GE(m.vm_exits, 5u);  // each successful call ends with one
  for (uint64_t r : m.reserved) EXPECT_EQ(r, 0u);

  // The interrupt handle outlives the sandbox: a kill then is stale too.
  sb.reset();
  EXPECT_EQ(hl_kill(h), HL_KILL_SANDBOX_GONE);
  hl_interrupt_handle_delete(h);
  m = e.metrics();
  EXPECT_EQ(m.sandboxes_deleted, 1u);
  EXPECT_EQ(m.stale_kills, static_cast<uint64_t>(stale) + 1);
}

TEST(Observability, RefusedCallsCountAsFailures) {
  Engine e;
  SandboxPtr sb = new_sandbox(e.config.get());
  EXPECT_EQ(code_of(ErrorPtr(hl_call(sb.get(), "NoSuchFunction", nullptr, 0, nullptr))),
            HL_ERROR_GUEST_FUNCTION_NOT_FOUND);
  const hl_metrics_t m = e.metrics();
  EXPECT_EQ(m.calls, 1u);
  EXPECT_EQ(m.failures_by_code[HL_ERROR_GUEST_FUNCTION_NOT_FOUND], 1u);
  EXPECT_EQ(m.vm_exits, 0u);  // refused before entering the guest
}

TEST(Observability, CallStatsCountHostCallsExitsAndRestores) {
  Engine e;
  SandboxPtr sb = new_sandbox(e.config.get());
  int sleep_ms = 0;
  register_host_add(sb.get(), &sleep_ms);
  hl_call_stats_t stats;
  std::memset(&stats, 0xff, sizeof stats);
  hl_val_t n = i32(5);
  Result r;
  ErrorPtr err(hl_call_ex(sb.get(), "CountViaHost", &n, 1, &r.val, nullptr, &stats));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 5);
  EXPECT_EQ(stats.host_calls, 5u);
  EXPECT_EQ(stats.vm_exits, 6u);  // five host calls and the end
  EXPECT_GT(stats.wall_ns, 0u);
  EXPECT_GT(stats.guest_cpu_ns, 0u);
  EXPECT_LE(stats.guest_cpu_ns, stats.wall_ns);
  EXPECT_GT(stats.host_function_ns, 0u);
  EXPECT_EQ(stats.pages_restored, 0u);
  for (uint64_t x : stats.reserved) EXPECT_EQ(x, 0u);
  hl_metrics_t m = e.metrics();
  EXPECT_EQ(m.host_calls, 5u);
  EXPECT_EQ(m.vm_exits, 6u);

  // call_and_restore: the restore's pages are the request's.
  hl_snapshot_t *snap_raw = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_sandbox_snapshot(sb.get(), &snap_raw)));
  std::unique_ptr<hl_snapshot_t, void (*)(hl_snapshot_t *)> snap(snap_raw, hl_snapshot_delete);
  hl_val_t args[] = {i32(1), i32(2)};
  err.reset(hl_call_and_restore_ex(sb.get(), snap.get(), "Add", args, 2, nullptr, nullptr, &stats));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_GE(stats.pages_restored, 2u);  // at least the PEB and the input buffer
  EXPECT_GT(stats.restore_ns, 0u);
  EXPECT_GE(stats.wall_ns, stats.restore_ns);
  const hl_metrics_t after = e.metrics();
  EXPECT_EQ(after.restores, m.restores + 1);
  EXPECT_EQ(after.pages_restored, m.pages_restored + stats.pages_restored);

  // A failed call fills its stats too.
  err.reset(hl_call_ex(sb.get(), "FailWithMessage", nullptr, 0, nullptr, nullptr, &stats));
  EXPECT_EQ(code_of(err), HL_ERROR_PARAMETER_COUNT_MISMATCH);
  EXPECT_GT(stats.wall_ns, 0u);
}

TEST(Observability, CallOptionsAreChecked) {
  SandboxPtr sb = new_sandbox();
  hl_call_options_t options{};
  options.flags = 0x80;
  EXPECT_EQ(code_of(ErrorPtr(hl_call_ex(sb.get(), "GetCpl", nullptr, 0, nullptr, &options, nullptr))),
            HL_ERROR_INVALID_ARGUMENT);
  options = hl_call_options_t{};
  options.reserved[2] = 1;
  ErrorPtr err(hl_call_ex(sb.get(), "GetCpl", nullptr, 0, nullptr, &options, nullptr));
  EXPECT_EQ(code_of(err), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hl_error_message(err.get())).find("reserved"), std::string::npos) << describe(err);
  options = hl_call_options_t{};
  options.flags = HL_CALL_OPTION_TIMEOUT;
  options.timeout_ns = 0;  // explicitly none
  EXPECT_FALSE(ErrorPtr(hl_call_ex(sb.get(), "GetCpl", nullptr, 0, nullptr, &options, nullptr)));
  EXPECT_EQ(hl_sandbox_status(sb.get()), HL_SANDBOX_READY);
}

TEST(Observability, CpuBudgetStopsASpinningGuest) {
  ConfigPtr config(hl_config_new());
  ASSERT_FALSE(ErrorPtr(hl_config_set_call_cpu_budget_ns(config.get(), 50'000'000)));
  SandboxPtr sb = new_sandbox(config.get());
  const auto start = std::chrono::steady_clock::now();
  hl_call_stats_t stats{};
  ErrorPtr err(hl_call_ex(sb.get(), "Spin", nullptr, 0, nullptr, nullptr, &stats));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(code_of(err), HL_ERROR_CPU_BUDGET_EXCEEDED) << describe(err);
  EXPECT_NE(std::string(hl_error_message(err.get())).find("CPU budget of 50.000 ms"), std::string::npos)
      << describe(err);
  EXPECT_GE(stats.guest_cpu_ns, 50'000'000u);  // never early
  EXPECT_LT(waited, std::chrono::seconds(10));
  EXPECT_EQ(hl_sandbox_status(sb.get()), HL_SANDBOX_POISONED);
}

TEST(Observability, CpuBudgetDoesNotCountHostFunctions) {
  ConfigPtr config(hl_config_new());
  ASSERT_FALSE(ErrorPtr(hl_config_set_call_cpu_budget_ns(config.get(), 50'000'000)));
  SandboxPtr sb = new_sandbox(config.get());
  int sleep_ms = 300;
  register_host_add(sb.get(), &sleep_ms);
  hl_val_t args[] = {i32(20), i32(22)};
  Result r;
  hl_call_stats_t stats{};
  ErrorPtr err(hl_call_ex(sb.get(), "AddViaHost", args, 2, &r.val, nullptr, &stats));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.val.of.i32, 42);
  EXPECT_GE(stats.host_function_ns, 300'000'000u);
  EXPECT_GE(stats.wall_ns, 300'000'000u);
  EXPECT_LT(stats.guest_cpu_ns, 50'000'000u);

  // A wall-clock limit does count it.
  hl_call_options_t options{};
  options.flags = HL_CALL_OPTION_TIMEOUT;
  options.timeout_ns = 100'000'000;
  EXPECT_EQ(code_of(ErrorPtr(hl_call_ex(sb.get(), "AddViaHost", args, 2, nullptr, &options, nullptr))),
            HL_ERROR_TIMEOUT);
}

TEST(Observability, PerCallCpuBudgetOverridesTheConfig) {
  ConfigPtr config(hl_config_new());
  ASSERT_FALSE(ErrorPtr(hl_config_set_call_cpu_budget_ns(config.get(), 1'000'000)));  // 1 ms
  SandboxPtr sb = new_sandbox(config.get());
  hl_val_t iterations = i64(2'000'000'000);  // seconds of work
  hl_call_options_t options{};
  options.flags = HL_CALL_OPTION_CPU_BUDGET;
  options.cpu_budget_ns = 30'000'000;
  hl_call_stats_t stats{};
  ErrorPtr err(hl_call_ex(sb.get(), "SpinFor", &iterations, 1, nullptr, &options, &stats));
  ASSERT_EQ(code_of(err), HL_ERROR_CPU_BUDGET_EXCEEDED) << describe(err);
  EXPECT_GE(stats.guest_cpu_ns, 30'000'000u);
  EXPECT_NE(std::string(hl_error_message(err.get())).find("30.000 ms"), std::string::npos) << describe(err);

  // And the config's budget applies without options: a short call passes.
  SandboxPtr fresh = new_sandbox(config.get());
  hl_val_t few = i64(1000);
  EXPECT_FALSE(ErrorPtr(hl_call(fresh.get(), "SpinFor", &few, 1, nullptr)));
  options.cpu_budget_ns = 0;        // explicitly none
  hl_val_t some = i64(20'000'000);  // tens of ms: over the config's 1 ms
  EXPECT_FALSE(ErrorPtr(hl_call_ex(fresh.get(), "SpinFor", &some, 1, nullptr, &options, nullptr)));
  EXPECT_EQ(code_of(ErrorPtr(hl_call(fresh.get(), "SpinFor", &some, 1, nullptr))), HL_ERROR_CPU_BUDGET_EXCEEDED);
}

struct Printed {
  std::string text;
  int calls = 0;
};

void collect_print(void *user_data, const char *text, size_t len) {
  auto *printed = static_cast<Printed *>(user_data);
  printed->text.append(text, len);
  printed->calls++;
}

SandboxPtr sdk_sandbox(const hl_config_t *config) {
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(config, HL_SDKGUEST_PATH, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

// What sdkguest's PrintLong(len) prints: a, b, ..., z, a, ... (in 1 KiB prints).
std::string alphabet(size_t len) {
  std::string s;
  for (size_t i = 0; i < len; i++) s += static_cast<char>('a' + i % 26);
  return s;
}

TEST(Observability, PrintCaptureGetsEveryByteUpToTheLimit) {
  Engine e;
  Printed printed;
  ASSERT_FALSE(ErrorPtr(hl_config_set_print_callback(e.config.get(), collect_print, &printed)));
  ASSERT_FALSE(ErrorPtr(hl_config_set_print_limit(e.config.get(), 2500)));
  SandboxPtr sb = sdk_sandbox(e.config.get());
  hl_val_t len = i32(5000);
  hl_call_stats_t stats{};
  ASSERT_FALSE(ErrorPtr(hl_call_ex(sb.get(), "PrintLong", &len, 1, nullptr, nullptr, &stats)));
  EXPECT_EQ(printed.text, alphabet(2500));  // cut inside the third print
  EXPECT_EQ(printed.calls, 3);
  EXPECT_EQ(stats.print_bytes, 5000u);
  EXPECT_EQ(stats.print_bytes_dropped, 2500u);

  // The limit is per call.
  printed = Printed{};
  len = i32(100);
  ASSERT_FALSE(ErrorPtr(hl_call_ex(sb.get(), "PrintLong", &len, 1, nullptr, nullptr, &stats)));
  EXPECT_EQ(printed.text, alphabet(100));
  EXPECT_EQ(stats.print_bytes_dropped, 0u);

  const hl_metrics_t m = e.metrics();
  EXPECT_EQ(m.print_bytes, 5100u);
  EXPECT_EQ(m.print_bytes_dropped, 2500u);
}

TEST(Observability, PrintCaptureDefaultLimitAndZero) {
  Printed printed;
  ConfigPtr config(hl_config_new());
  ASSERT_FALSE(ErrorPtr(hl_config_set_print_callback(config.get(), collect_print, &printed)));
  SandboxPtr sb = sdk_sandbox(config.get());
  hl_val_t len = i32(70000);  // over 64 KiB
  hl_call_stats_t stats{};
  ASSERT_FALSE(ErrorPtr(hl_call_ex(sb.get(), "PrintLong", &len, 1, nullptr, nullptr, &stats)));
  EXPECT_EQ(printed.text, alphabet(65536));
  EXPECT_EQ(stats.print_bytes_dropped, 70000u - 65536u);

  ASSERT_FALSE(ErrorPtr(hl_config_set_print_limit(config.get(), 0)));
  printed = Printed{};
  SandboxPtr silent = new_sandbox(config.get());
  ASSERT_FALSE(ErrorPtr(hl_call_ex(silent.get(), "PrintHello", nullptr, 0, nullptr, nullptr, &stats)));
  EXPECT_EQ(printed.calls, 0);
  EXPECT_EQ(stats.print_bytes, 22u);
  EXPECT_EQ(stats.print_bytes_dropped, 22u);
}

struct Spans {
  std::mutex mu;
  std::vector<hl_span_event_t> events;
  std::vector<std::string> names;
  std::vector<hl_call_stats_t> end_stats;
  int finalized = 0;
};

void record_span(void *user_data, const hl_span_event_t *event) {
  auto *spans = static_cast<Spans *>(user_data);
  std::lock_guard<std::mutex> lock(spans->mu);
  spans->events.push_back(*event);
  spans->names.emplace_back(event->name, event->name_len);
  if (event->stats != nullptr) spans->end_stats.push_back(*event->stats);
}

TEST(Observability, SpanCallbackSeesCallsAndHostCalls) {
  Spans spans;
  {
    EngineConfigPtr ec(hl_engine_config_new());
    ASSERT_FALSE(ErrorPtr(hl_engine_config_set_span_callback(ec.get(), record_span, &spans,
                                                             [](void *p) { static_cast<Spans *>(p)->finalized++; })));
    Engine e(0, ec.get());
    ec.reset();
    EXPECT_EQ(spans.finalized, 0);  // the engine still uses it
    SandboxPtr sb = new_sandbox(e.config.get());
    int sleep_ms = 5;
    register_host_add(sb.get(), &sleep_ms);
    hl_val_t args[] = {i32(1), i32(2)};
    ASSERT_FALSE(ErrorPtr(hl_call(sb.get(), "AddViaHost", args, 2, nullptr)));
    EXPECT_EQ(code_of(ErrorPtr(hl_call(sb.get(), "FailWithMessage", args, 1, nullptr))),
              HL_ERROR_PARAMETER_TYPE_MISMATCH);

    ASSERT_EQ(spans.events.size(), 6u);
    const uint32_t kinds[] = {HL_SPAN_CALL_START, HL_SPAN_HOST_CALL_START, HL_SPAN_HOST_CALL_END,
                              HL_SPAN_CALL_END,   HL_SPAN_CALL_START,      HL_SPAN_CALL_END};
    const char *names[] = {"AddViaHost", "HostAdd", "HostAdd", "AddViaHost", "FailWithMessage", "FailWithMessage"};
    for (size_t i = 0; i < 6; i++) {
      EXPECT_EQ(spans.events[i].kind, kinds[i]) << i;
      EXPECT_EQ(spans.names[i], names[i]) << i;
      EXPECT_EQ(spans.events[i].sandbox_id, hl_sandbox_id(sb.get())) << i;
    }
    EXPECT_NE(hl_sandbox_id(sb.get()), 0u);
    EXPECT_EQ(spans.events[0].start_ns, spans.events[3].start_ns);
    EXPECT_GE(spans.events[2].duration_ns, 5'000'000u);
    EXPECT_GE(spans.events[3].duration_ns, spans.events[2].duration_ns);
    EXPECT_EQ(spans.events[3].error_code, 0u);
    EXPECT_EQ(spans.events[5].error_code, static_cast<hl_error_code_t>(HL_ERROR_PARAMETER_TYPE_MISMATCH));
    ASSERT_EQ(spans.end_stats.size(), 2u);
    EXPECT_EQ(spans.end_stats[0].host_calls, 1u);
    EXPECT_GT(spans.end_stats[0].guest_cpu_ns, 0u);
    EXPECT_GE(spans.end_stats[0].host_function_ns, 5'000'000u);
  }
  EXPECT_EQ(spans.finalized, 1);  // engine and config are gone
}

TEST(Observability, SandboxesCountedByOrigin) {
  Engine no_pool(0);
  SandboxPtr sb = new_sandbox(no_pool.config.get());
  hl_snapshot_t *snap_raw = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_sandbox_snapshot(sb.get(), &snap_raw)));
  std::unique_ptr<hl_snapshot_t, void (*)(hl_snapshot_t *)> snap(snap_raw, hl_snapshot_delete);
  hl_sandbox_t *from_snap = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_sandbox_new_from_snapshot(snap.get(), no_pool.config.get(), &from_snap)));
  hl_sandbox_delete(from_snap);
  hl_metrics_t m = no_pool.metrics();
  EXPECT_EQ(m.sandboxes_created[HL_ORIGIN_COLD], 1u);
  EXPECT_EQ(m.sandboxes_created[HL_ORIGIN_SNAPSHOT], 1u);
  EXPECT_EQ(m.sandboxes_created[HL_ORIGIN_POOL] + m.sandboxes_created[HL_ORIGIN_SPARE], 0u);
  EXPECT_EQ(m.sandboxes_deleted, 1u);
  EXPECT_EQ(m.create_duration.count, 2u);

  // With a pool: the second sandbox from the snapshot reuses the first.
  Engine pooled(2);
  SandboxPtr base = new_sandbox(pooled.config.get());
  ASSERT_FALSE(ErrorPtr(hl_sandbox_snapshot(base.get(), &snap_raw)));
  std::unique_ptr<hl_snapshot_t, void (*)(hl_snapshot_t *)> snap2(snap_raw, hl_snapshot_delete);
  for (int i = 0; i < 2; i++) {
    ASSERT_FALSE(ErrorPtr(hl_sandbox_new_from_snapshot(snap2.get(), pooled.config.get(), &from_snap)));
    hl_sandbox_delete(from_snap);
  }
  m = pooled.metrics();
  EXPECT_EQ(m.sandboxes_created[HL_ORIGIN_COLD], 1u);
  EXPECT_GE(m.sandboxes_created[HL_ORIGIN_SPARE], 1u);
  EXPECT_EQ(m.sandboxes_created[HL_ORIGIN_SNAPSHOT] + m.sandboxes_created[HL_ORIGIN_POOL] +
                m.sandboxes_created[HL_ORIGIN_SPARE],
            2u);
  EXPECT_GE(m.restores, 1u);  // a spare is a restore away
}

TEST(Observability, PrometheusText) {
  Engine e;
  SandboxPtr sb = new_sandbox(e.config.get());
  hl_val_t args[] = {i32(2), i32(3)};
  for (int i = 0; i < 3; i++) ASSERT_FALSE(ErrorPtr(hl_call(sb.get(), "Add", args, 2, nullptr)));
  EXPECT_EQ(code_of(ErrorPtr(hl_call_with_timeout(sb.get(), "Spin", nullptr, 0, nullptr, 10'000'000))),
            HL_ERROR_TIMEOUT);
  char *text = nullptr;
  size_t length = 0;
  ErrorPtr err(hl_engine_metrics_write_prometheus(e.engine.get(), &text, &length));
  ASSERT_FALSE(err) << describe(err);
  ASSERT_NE(text, nullptr);
  const std::string body(text, length);
  EXPECT_EQ(std::strlen(text), length);
  hl_free(text);
  for (const char *want :
       {"# TYPE hyperlight_calls_total counter\nhyperlight_calls_total 4\n",
        "hyperlight_call_failures_total{code=\"TIMEOUT\"} 1\n",
        "hyperlight_sandboxes_created_total{origin=\"cold\"} 1\n",
        "# TYPE hyperlight_call_duration_seconds histogram\n",
        "hyperlight_call_duration_seconds_bucket{le=\"+Inf\"} 4\n", "hyperlight_call_duration_seconds_count 4\n",
        "hyperlight_kills_total 0\n", "hyperlight_call_duration_seconds_bucket{le=\"5e-06\"} "})
    EXPECT_NE(body.find(want), std::string::npos) << "missing: " << want << "\n" << body;
  EXPECT_EQ(code_of(ErrorPtr(hl_engine_metrics_write_prometheus(e.engine.get(), nullptr, &length))),
            HL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(ErrorPtr(hl_engine_metrics(e.engine.get(), nullptr))), HL_ERROR_INVALID_ARGUMENT);
}

TEST(Observability, HistogramBounds) {
  EXPECT_EQ(hl_histogram_bucket_bound_ns(0), 5'000u);
  EXPECT_EQ(hl_histogram_bucket_bound_ns(HL_METRICS_HISTOGRAM_BUCKETS - 2), 10'000'000'000u);
  EXPECT_EQ(hl_histogram_bucket_bound_ns(HL_METRICS_HISTOGRAM_BUCKETS - 1), UINT64_MAX);
  EXPECT_EQ(hl_histogram_bucket_bound_ns(HL_METRICS_HISTOGRAM_BUCKETS), 0u);
  for (uint32_t i = 1; i < HL_METRICS_HISTOGRAM_BUCKETS; i++)
    EXPECT_GT(hl_histogram_bucket_bound_ns(i), hl_histogram_bucket_bound_ns(i - 1));
}

TEST(Observability, DefaultEngineMetrics) {
  hl_metrics_t before{};
  ASSERT_FALSE(ErrorPtr(hl_engine_metrics(nullptr, &before)));
  SandboxPtr sb = new_sandbox();
  ASSERT_FALSE(ErrorPtr(hl_call(sb.get(), "GetCpl", nullptr, 0, nullptr)));
  hl_metrics_t after{};
  ASSERT_FALSE(ErrorPtr(hl_engine_metrics(nullptr, &after)));
  EXPECT_GE(after.calls, before.calls + 1);
}

}  // namespace
