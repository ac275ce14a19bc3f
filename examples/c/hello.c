/* hello: the smallest complete hyperlight program.
 *
 * Creates a sandbox from the test guest, registers a host function the guest
 * calls back, calls guest functions and prints their results; then takes a
 * snapshot, makes a second sandbox from it and restores a poisoned one.
 * Usage: hello [path/to/simpleguest.elf] */
#include <stdio.h>
#include <string.h>

#include "hyperlight.h"

/* HostAdd(i32, i32) -> i32: called by the guest's AddViaHost. */
static hl_error_t *host_add(void *user_data, const hl_val_t *args, size_t nargs, hl_val_t *result) {
  (void)user_data;
  (void)nargs;
  result->kind = HL_VAL_I32;
  result->of.i32 = args[0].of.i32 + args[1].of.i32;
  return NULL;
}

/* Prints the error, frees it and returns 1; returns 0 for no error. */
static int failed(const char *what, hl_error_t *err) {
  if (err == NULL) return 0;
  fprintf(stderr, "%s failed: %s (code %u)\n", what, hl_error_message(err), hl_error_code(err));
  hl_error_delete(err);
  return 1;
}

int main(int argc, char **argv) {
  const char *guest = argc > 1 ? argv[1] : HL_EXAMPLE_GUEST_PATH;
  printf("hyperlight %s\n", hl_version_string());

  hl_sandbox_t *sandbox = NULL;
  if (failed("hl_sandbox_new", hl_sandbox_new(NULL, guest, &sandbox))) return 1;

  int status = 1;
  hl_val_kind_t two_i32[] = {HL_VAL_I32, HL_VAL_I32};
  if (failed("hl_register", hl_register(sandbox, "HostAdd", two_i32, 2, HL_VAL_I32, host_add, NULL, NULL))) goto done;

  hl_val_t args[2] = {{.kind = HL_VAL_I32, .of.i32 = 40}, {.kind = HL_VAL_I32, .of.i32 = 2}};
  hl_val_t result;
  if (failed("Add", hl_call(sandbox, "Add", args, 2, &result))) goto done;
  printf("Add(40, 2) = %d\n", result.of.i32);

  if (failed("AddViaHost", hl_call(sandbox, "AddViaHost", args, 2, &result))) goto done;
  printf("AddViaHost(40, 2) = %d (the guest called HostAdd)\n", result.of.i32);

  const char *text = "hello from the host";
  hl_val_t echo_arg = {.kind = HL_VAL_STRING, .of.string = {text, strlen(text)}};
  if (failed("Echo", hl_call(sandbox, "Echo", &echo_arg, 1, &result))) goto done;
  printf("Echo(\"%s\") = \"%.*s\"\n", text, (int)result.of.string.len, result.of.string.ptr);
  hl_val_release(&result); /* the string belongs to the caller */

  if (failed("GetCpl", hl_call(sandbox, "GetCpl", NULL, 0, &result))) goto done;
  printf("GetCpl() = %d (the guest runs in ring 3)\n", result.of.i32);

  if (failed("PrintHello", hl_call(sandbox, "PrintHello", NULL, 0, NULL))) goto done;

  hl_error_t *err = hl_call(sandbox, "NoSuchFunction", NULL, 0, NULL);
  printf("NoSuchFunction() -> error %u: %s\n", hl_error_code(err), hl_error_message(err));
  hl_error_delete(err);

  /* Snapshots: a sandbox from one needs no ELF load or guest init, and a
   * restore undoes anything, even a call that had to be stopped. */
  hl_snapshot_t *snap = NULL;
  if (failed("hl_sandbox_snapshot", hl_sandbox_snapshot(sandbox, &snap))) goto done;
  hl_sandbox_t *copy = NULL;
  if (failed("hl_sandbox_new_from_snapshot", hl_sandbox_new_from_snapshot(snap, NULL, &copy))) {
    hl_snapshot_delete(snap);
    goto done;
  }
  if (!failed("hl_register", hl_register(copy, "HostAdd", two_i32, 2, HL_VAL_I32, host_add, NULL, NULL)) &&
      !failed("AddViaHost", hl_call(copy, "AddViaHost", args, 2, &result)))
    printf("AddViaHost(40, 2) = %d in a sandbox made from the snapshot\n", result.of.i32);
  hl_sandbox_delete(copy);

  err = hl_call_with_timeout(sandbox, "Spin", NULL, 0, NULL, 10 * 1000 * 1000);
  printf("Spin() -> error %u: %s; sandbox %s\n", hl_error_code(err), hl_error_message(err),
         hl_sandbox_status(sandbox) == HL_SANDBOX_POISONED ? "poisoned" : "ready");
  hl_error_delete(err);
  int restored = !failed("hl_sandbox_restore", hl_sandbox_restore(sandbox, snap));
  hl_snapshot_delete(snap);
  if (!restored || failed("Add", hl_call(sandbox, "Add", args, 2, &result))) goto done;
  printf("after hl_sandbox_restore: %s, Add(40, 2) = %d\n",
         hl_sandbox_status(sandbox) == HL_SANDBOX_READY ? "ready" : "poisoned", result.of.i32);
  status = 0;

done:
  hl_sandbox_delete(sandbox);
  return status;
}
