/* call_guest: calls FUNCTION(A, B) with two i32 arguments in a guest and
 * prints "FUNCTION(A, B) = RESULT". Registers HostAdd(i32, i32) -> i32 for
 * guests that call back. Built out of tree against an installed hyperlight
 * (tests/install/run.sh). Usage: call_guest GUEST.elf FUNCTION A B */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "hyperlight.h"

static hl_error_t *host_add(void *user_data, const hl_val_t *args, size_t nargs, hl_val_t *result) {
  (void)user_data;
  (void)nargs;
  result->kind = HL_VAL_I32;
  result->of.i32 = args[0].of.i32 + args[1].of.i32;
  return NULL;
}

static int parse_i32(const char *text, int32_t *out) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < INT32_MIN || value > INT32_MAX) return 0;
  *out = (int32_t)value;
  return 1;
}

/* Prints the error and frees it; returns 1 if there was one. */
static int failed(const char *what, hl_error_t *err) {
  if (err == NULL) return 0;
  fprintf(stderr, "call_guest: %s failed: %s (code %u)\n", what, hl_error_message(err), hl_error_code(err));
  hl_error_delete(err);
  return 1;
}

int main(int argc, char **argv) {
  int32_t a, b;
  if (argc != 5 || !parse_i32(argv[3], &a) || !parse_i32(argv[4], &b)) {
    fprintf(stderr, "usage: call_guest GUEST.elf FUNCTION A B   (A and B: 32-bit integers)\n");
    return 2;
  }
  printf("library %s\n", hl_version_string());
  fflush(stdout); /* the guest writes to the same stdout */

  hl_sandbox_t *sandbox = NULL;
  if (failed("hl_sandbox_new", hl_sandbox_new(NULL, argv[1], &sandbox))) return 1;
  int status = 1;
  hl_val_kind_t two_i32[] = {HL_VAL_I32, HL_VAL_I32};
  hl_val_t args[2] = {{.kind = HL_VAL_I32, .of.i32 = a}, {.kind = HL_VAL_I32, .of.i32 = b}};
  hl_val_t result;
  if (!failed("hl_register", hl_register(sandbox, "HostAdd", two_i32, 2, HL_VAL_I32, host_add, NULL, NULL)) &&
      !failed(argv[2], hl_call(sandbox, argv[2], args, 2, &result))) {
    if (result.kind == HL_VAL_I32) {
      printf("%s(%d, %d) = %d\n", argv[2], a, b, result.of.i32);
      status = 0;
    } else {
      fprintf(stderr, "call_guest: %s returned kind %u, not i32\n", argv[2], (unsigned)result.kind);
    }
    hl_val_release(&result);
  }
  hl_sandbox_delete(sandbox);
  return status;
}
