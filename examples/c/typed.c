/* typed: host and guest functions as plain C functions (docs/typed-functions.md).
 *
 * Registers ordinary C functions as host functions with hl_register_typed()
 * (no hl_val_t code: hyperlight calls them through libffi), and calls guest
 * functions through C function pointers from hl_guest_function_new().
 * Usage: typed [path/to/simpleguest.elf] */
#include <stdio.h>
#include <stdlib.h>

#include "hyperlight.h"

/* HostAdd(i32, i32) -> i32, called by the guest's AddViaHost: a plain C
 * function, registered with flags 0. */
static int32_t add(int32_t a, int32_t b) { return a + b; }

/* HostEcho(string) -> string, called by the guest's EchoViaHost. With
 * HL_TYPED_USER_DATA and HL_TYPED_ERROR it gets the user data and a way to
 * fail the guest's call. Returning the argument is fine: hyperlight copies
 * the result before the argument's memory is reused. */
static const char *echo(void *user_data, hl_error_t **error, const char *text) {
  int *calls = user_data;
  if (++*calls > 1) {
    *error = hl_error_new("HostEcho answers only once");
    return NULL;
  }
  return text;
}

static int failed(const char *what, hl_error_t *err) {
  if (err == NULL) return 0;
  fprintf(stderr, "%s failed: %s (code %u)\n", what, hl_error_message(err), hl_error_code(err));
  hl_error_delete(err);
  return 1;
}

int main(int argc, char **argv) {
  const char *guest = argc > 1 ? argv[1] : HL_EXAMPLE_GUEST_PATH;
  hl_sandbox_t *sandbox = NULL;
  if (failed("hl_sandbox_new", hl_sandbox_new(NULL, guest, &sandbox))) return 1;

  int status = 1, echo_calls = 0;
  hl_guest_function_t *add_via_host = NULL, *echo_via_host = NULL;
  const hl_val_kind_t two_i32[] = {HL_VAL_I32, HL_VAL_I32};
  const hl_val_kind_t one_string[] = {HL_VAL_STRING};
  if (failed("hl_register_typed",
             hl_register_typed(sandbox, "HostAdd", two_i32, 2, HL_VAL_I32, (hl_typed_fn_t)add, 0, NULL, NULL)) ||
      failed("hl_register_typed",
             hl_register_typed(sandbox, "HostEcho", one_string, 1, HL_VAL_STRING, (hl_typed_fn_t)echo,
                               HL_TYPED_USER_DATA | HL_TYPED_ERROR, &echo_calls, NULL)))
    goto done;

  /* Guest functions as C function pointers: the first parameter receives
   * the call's error (or NULL), the rest are the guest function's own. */
  if (failed("hl_guest_function_new",
             hl_guest_function_new(sandbox, "AddViaHost", HL_VAL_I32, two_i32, 2, &add_via_host)) ||
      failed("hl_guest_function_new",
             hl_guest_function_new(sandbox, "EchoViaHost", HL_VAL_STRING, one_string, 1, &echo_via_host)))
    goto done;
  int32_t (*add_fn)(hl_error_t **, int32_t, int32_t) =
      (int32_t(*)(hl_error_t **, int32_t, int32_t))hl_guest_function_pointer(add_via_host);
  char *(*echo_fn)(hl_error_t **, const char *) =
      (char *(*)(hl_error_t **, const char *))hl_guest_function_pointer(echo_via_host);

  hl_error_t *err = NULL;
  int32_t sum = add_fn(&err, 40, 2);
  if (failed("AddViaHost", err)) goto done;
  printf("AddViaHost(40, 2) = %d (guest -> typed host function add)\n", sum);

  char *text = echo_fn(&err, "hello through two function pointers");
  if (failed("EchoViaHost", err)) goto done;
  printf("EchoViaHost(...) = \"%s\"\n", text);
  hl_free(text); /* string results belong to the caller */

  text = echo_fn(&err, "again");
  printf("EchoViaHost again -> %s, error %u: %s\n", text == NULL ? "NULL" : text, hl_error_code(err),
         hl_error_message(err));
  hl_error_delete(err);
  status = 0;

done:
  hl_guest_function_delete(add_via_host);
  hl_guest_function_delete(echo_via_host);
  hl_sandbox_delete(sandbox);
  return status;
}
