/* observe: metrics, per-call statistics, a CPU budget, print capture and
 * span events, on the test guest.
 *
 * One engine with a span callback; a config that captures the guest's
 * output and gives every call 50 ms of guest CPU time. It makes a few calls
 * (one stopped by its CPU budget, one waiting 200 ms in a host function
 * that the budget does not count), then prints the engine's metrics in the
 * Prometheus text format.
 * Usage: observe [path/to/simpleguest.elf] */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hyperlight.h"

static int failed(const char *what, hl_error_t *err) {
  if (err == NULL) return 0;
  fprintf(stderr, "%s failed: %s (code %u)\n", what, hl_error_message(err), hl_error_code(err));
  hl_error_delete(err);
  return 1;
}

/* HostAdd(i32, i32) -> i32, slowly: 200 ms of waiting, no CPU. */
static hl_error_t *slow_host_add(void *user_data, const hl_val_t *args, size_t nargs, hl_val_t *result) {
  (void)user_data;
  (void)nargs;
  struct timespec wait = {0, 200 * 1000 * 1000};
  nanosleep(&wait, NULL);
  result->kind = HL_VAL_I32;
  result->of.i32 = args[0].of.i32 + args[1].of.i32;
  return NULL;
}

static void print_to_stdout(void *user_data, const char *text, size_t len) {
  (void)user_data;
  printf("guest printed: %.*s", (int)len, text);
}

static void span(void *user_data, const hl_span_event_t *event) {
  (void)user_data;
  static const char *const kinds[] = {"", "call start", "call end", "host call start", "host call end"};
  if (event->kind == HL_SPAN_CALL_END)
    printf("span: %s %s: %.3f ms, guest CPU %.3f ms, error %u\n", kinds[event->kind], event->name,
           event->duration_ns / 1e6, event->stats->guest_cpu_ns / 1e6, event->error_code);
  else if (event->kind == HL_SPAN_HOST_CALL_END)
    printf("span: %s %s: %.3f ms\n", kinds[event->kind], event->name, event->duration_ns / 1e6);
}

static void print_stats(const char *what, const hl_call_stats_t *s) {
  printf("%s: wall %.3f ms, guest CPU %.3f ms, host functions %.3f ms, %llu VM exits, %llu host calls\n", what,
         s->wall_ns / 1e6, s->guest_cpu_ns / 1e6, s->host_function_ns / 1e6, (unsigned long long)s->vm_exits,
         (unsigned long long)s->host_calls);
}

int main(int argc, char **argv) {
  const char *guest = argc > 1 ? argv[1] : HL_EXAMPLE_GUEST_PATH;
  int status = 1;
  hl_engine_t *engine = NULL;
  hl_config_t *config = NULL;
  hl_sandbox_t *sandbox = NULL;
  hl_engine_config_t *engine_config = hl_engine_config_new();
  if (engine_config == NULL) return 1;
  if (failed("hl_engine_config_set_span_callback",
             hl_engine_config_set_span_callback(engine_config, span, NULL, NULL)) ||
      failed("hl_engine_new", hl_engine_new(engine_config, &engine)))
    goto done;
  config = hl_config_new();
  if (config == NULL || failed("hl_config_set_engine", hl_config_set_engine(config, engine)) ||
      failed("hl_config_set_print_callback", hl_config_set_print_callback(config, print_to_stdout, NULL)) ||
      failed("hl_config_set_call_cpu_budget_ns", hl_config_set_call_cpu_budget_ns(config, 50 * 1000 * 1000)) ||
      failed("hl_sandbox_new", hl_sandbox_new(config, guest, &sandbox)))
    goto done;
  hl_val_kind_t two_i32[] = {HL_VAL_I32, HL_VAL_I32};
  if (failed("hl_register", hl_register(sandbox, "HostAdd", two_i32, 2, HL_VAL_I32, slow_host_add, NULL, NULL)))
    goto done;

  hl_call_stats_t stats;
  hl_val_t args[2] = {{.kind = HL_VAL_I32, .of.i32 = 40}, {.kind = HL_VAL_I32, .of.i32 = 2}};
  for (int i = 0; i < 3; i++)
    if (failed("hl_call(Add)", hl_call(sandbox, "Add", args, 2, NULL))) goto done;
  if (failed("hl_call(PrintHello)", hl_call(sandbox, "PrintHello", NULL, 0, NULL))) goto done;
  if (failed("hl_call_ex(AddViaHost)", hl_call_ex(sandbox, "AddViaHost", args, 2, NULL, NULL, &stats))) goto done;
  print_stats("AddViaHost", &stats);

  /* Spin never returns: its CPU budget stops it. */
  hl_error_t *err = hl_call_ex(sandbox, "Spin", NULL, 0, NULL, NULL, &stats);
  printf("Spin: %s\n", err != NULL ? hl_error_message(err) : "returned?");
  if (err == NULL || hl_error_code(err) != HL_ERROR_CPU_BUDGET_EXCEEDED) {
    hl_error_delete(err);
    goto done;
  }
  hl_error_delete(err);
  print_stats("Spin", &stats);

  char *text = NULL;
  size_t length = 0;
  if (failed("hl_engine_metrics_write_prometheus", hl_engine_metrics_write_prometheus(engine, &text, &length)))
    goto done;
  fwrite(text, 1, length, stdout);
  hl_free(text);
  status = 0;
done:
  hl_sandbox_delete(sandbox);
  hl_config_delete(config);
  hl_engine_delete(engine);
  hl_engine_config_delete(engine_config);
  return status;
}
