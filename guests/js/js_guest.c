/* js.elf: JavaScript (Duktape 2.7, unmodified, from Debian's source
 * package) in a hyperlight guest.
 *
 * One heap and one context, created while the sandbox initialises, so a
 * snapshot holds an engine ready to run; every call evaluates in it, so
 * globals persist from call to call until the sandbox is restored.
 *
 *   Eval(string) -> string   evaluates the script as global eval code and
 *                            returns String() of its completion value; a
 *                            JavaScript error fails the call with
 *                            HL_ERROR_GUEST_ERROR and the engine's message
 *                            with the line ("ReferenceError: identifier 'x'
 *                            undefined (line 3)").
 *
 * print() and host.call() are in js_bridge.c; time, randomness, the stack
 * check and the allocator in js_platform.c. */
#include <string.h>

#include "hyperlight_guest.h"
#include "js_guest.h"

static duk_context *g_ctx;

struct source {
  const char *text;
  size_t len;
};

/* [ ] -> [ String(completion value) ] */
static duk_ret_t evaluate(duk_context *ctx, void *udata) {
  const struct source *src = (const struct source *)udata;
  duk_get_global_string(ctx, "String");
  duk_eval_lstring(ctx, src->text, src->len);
  duk_call(ctx, 1); /* String(v) also takes a Symbol, which ToString refuses */
  return 1;
}

/* [ error ] -> [ error message ]: "Name: message (line N)" for an Error,
 * String(value) for anything else thrown. Runs protected: the heap may be
 * exhausted. */
static duk_ret_t describe_error(duk_context *ctx, void *udata) {
  (void)udata;
  if (!duk_is_error(ctx, -1)) {
    duk_get_global_string(ctx, "String");
    duk_dup(ctx, -2);
    duk_call(ctx, 1);
    return 1;
  }
  duk_get_prop_string(ctx, -1, "name");
  duk_get_prop_string(ctx, -2, "message");
  duk_get_prop_string(ctx, -3, "lineNumber");
  const char *name = duk_is_string(ctx, -3) ? duk_get_string(ctx, -3) : "Error";
  const char *message = duk_is_string(ctx, -2) ? duk_get_string(ctx, -2) : "";
  /* Compile errors already say where ("parse error (line 2)"). */
  if (duk_is_number(ctx, -1) && duk_get_number(ctx, -1) > 0 && !strstr(message, "(line "))
    duk_push_sprintf(ctx, "%s: %s (line %ld)", name, message, (long)duk_get_number(ctx, -1));
  else if (*message)
    duk_push_sprintf(ctx, "%s: %s", name, message);
  else
    duk_push_string(ctx, name);
  return 1;
}

static uint32_t eval(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  duk_context *ctx = g_ctx;
  duk_set_top(ctx, 0); /* drops the previous call's result, kept alive until it was sent */
  struct source src = {(const char *)args[0].of.buf.ptr, args[0].of.buf.len};
  uint64_t failures = hljs_alloc_failures();
  if (duk_safe_call(ctx, evaluate, &src, 0, 1) == DUK_EXEC_SUCCESS) {
    duk_size_t len = 0;
    const char *text = duk_get_lstring(ctx, -1, &len);
    *result = hlg_string_n(text, (uint32_t)len);
    return HLG_OK;
  }
  int described = duk_safe_call(ctx, describe_error, NULL, 1, 1) == DUK_EXEC_SUCCESS;
  const char *message = described ? duk_get_string(ctx, -1) : NULL;
  /* With the heap full Duktape may fail to create its "alloc failed" error
   * and throw its preallocated DoubleError instead, or the description may
   * fail. The allocator knows what happened. */
  if (hljs_alloc_failures() != failures && (!message || strncmp(message, "DoubleError", 11) == 0))
    message = "Error: alloc failed (the guest heap is exhausted)";
  return hlg_error(HLG_ERROR_GUEST_ERROR, message ? message : "Error (could not be described)");
}

void hyperlight_main(void) {
  hljs_seed_random(hlg_random_seed());
  g_ctx = duk_create_heap(hljs_alloc, hljs_realloc, hljs_free, NULL, NULL);
  if (!g_ctx) hlg_abort(HLJS_ABORT_INIT, "duktape: duk_create_heap failed: the guest heap is too small");
  hljs_install_bridge(g_ctx);
  static const uint8_t params[] = {HLG_STRING};
  uint32_t status = hlg_register("Eval", eval, HLG_STRING, 1, params);
  if (status != HLG_OK) hlg_abort(HLJS_ABORT_INIT, "could not register Eval");
}
