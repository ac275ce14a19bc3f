/* hello: the smallest complete hyperlight program.
 *
 * Creates a sandbox from the test guest, registers a host function the guest
 * calls back, calls guest functions and prints their results.
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
  status = 0;

done:
  hl_sandbox_delete(sandbox);
  return status;
}
