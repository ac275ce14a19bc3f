/* scripts: serve untrusted script requests from one snapshot.
 *
 * Boots a script guest (lua.elf or js.elf) once, snapshots it with its
 * interpreter ready, then runs each script (one per argument, or one per
 * line of stdin) with hl_call_and_restore_ex: every request starts from
 * the snapshot, whatever the one before did, under a wall-clock limit and a
 * CPU budget. Scripts may call the host function Add(i64, i64) -> i64
 * through the guest's bridge: host.call("Add", 40, 2).
 * Usage: scripts GUEST.elf [SCRIPT...] */
#include <stdio.h>
#include <string.h>

#include "hyperlight.h"

static hl_error_t *host_add(void *user_data, const hl_val_t *args, size_t nargs, hl_val_t *result) {
  (void)user_data;
  (void)nargs;
  result->kind = HL_VAL_I64;
  result->of.i64 = args[0].of.i64 + args[1].of.i64;
  return NULL;
}

static int failed(const char *what, hl_error_t *err) {
  if (err == NULL) return 0;
  fprintf(stderr, "%s failed: %s (code %u)\n", what, hl_error_message(err), hl_error_code(err));
  hl_error_delete(err);
  return 1;
}

/* One request: prints the result, or the error the script caused. */
static void serve(hl_sandbox_t *sandbox, const hl_snapshot_t *snapshot, const char *script) {
  hl_val_t arg = {.kind = HL_VAL_STRING, .of.string = {script, strlen(script)}};
  hl_val_t result = {0};
  hl_call_options_t options = {0};
  options.flags = HL_CALL_OPTION_TIMEOUT | HL_CALL_OPTION_CPU_BUDGET;
  options.timeout_ns = 1000 * 1000 * 1000;   /* 1 s of wall time */
  options.cpu_budget_ns = 200 * 1000 * 1000; /* 200 ms of the script's own work */
  hl_call_stats_t stats;
  hl_error_t *err = hl_call_and_restore_ex(sandbox, snapshot, "Eval", &arg, 1, &result, &options, &stats);
  if (err != NULL) {
    printf("error %u: %s\n", hl_error_code(err), hl_error_message(err));
    hl_error_delete(err);
  } else {
    printf("%.*s\n", (int)result.of.string.len, result.of.string.ptr);
    hl_val_release(&result);
  }
  printf("  (%.3f ms, guest CPU %.3f ms, %llu pages restored)\n", stats.wall_ns / 1e6, stats.guest_cpu_ns / 1e6,
         (unsigned long long)stats.pages_restored);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: scripts GUEST.elf [SCRIPT...]  (no scripts: one per line of stdin)\n");
    return 2;
  }
  hl_sandbox_t *sandbox = NULL;
  hl_snapshot_t *snapshot = NULL;
  int status = 1;
  if (failed("hl_sandbox_new", hl_sandbox_new(NULL, argv[1], &sandbox))) return 1;
  hl_val_kind_t two_i64[] = {HL_VAL_I64, HL_VAL_I64};
  if (failed("hl_register", hl_register(sandbox, "Add", two_i64, 2, HL_VAL_I64, host_add, NULL, NULL)) ||
      failed("hl_sandbox_snapshot", hl_sandbox_snapshot(sandbox, &snapshot)))
    goto done;
  if (argc > 2) {
    for (int i = 2; i < argc; i++) serve(sandbox, snapshot, argv[i]);
  } else {
    char line[4096];
    while (fgets(line, sizeof line, stdin) != NULL) {
      line[strcspn(line, "\n")] = 0;
      if (line[0] != 0) serve(sandbox, snapshot, line);
    }
  }
  status = 0;
done:
  hl_snapshot_delete(snapshot);
  hl_sandbox_delete(sandbox);
  return status;
}
