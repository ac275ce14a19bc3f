/* The script's way out: print(...) to the host's standard output and
 * host.call("Name", ...) to a host function the embedder registered.
 *
 * Kinds, script to host: a number that is an integer in int64 range goes as
 * i64, any other number as f64; a boolean as bool; a string as string; a
 * buffer (Uint8Array, ArrayBuffer, any typed array's bytes) as bytes. The
 * host checks the kinds against the function's registration, and
 * JavaScript cannot tell 5 from 5.0, so a number can name its kind:
 * host.f64(5), host.i32(n), host.u32(n), host.i64(n), host.u64(n),
 * host.f32(x) (each checks that the number fits). Other values throw a
 * TypeError. Host to script: every numeric kind becomes a number (i64 and
 * u64 beyond 2^53 round), bool a boolean, string and bytes a string, void
 * undefined. A host error throws an Error carrying the host's message. */
#include <math.h>
#include <string.h>

#include "hyperlight_guest.h"
#include "js_guest.h"

/* duk_error() records this file's name and line, which would become the
 * error's lineNumber; without them Duktape blames the calling script line. */
#define script_error(ctx, code, ...) (duk_error_raw((ctx), (code), NULL, 0, __VA_ARGS__), (duk_ret_t)0)

static duk_ret_t js_print(duk_context *ctx) {
  duk_idx_t n = duk_get_top(ctx);
  for (duk_idx_t i = 0; i < n; i++) {
    if (duk_is_symbol(ctx, i)) { /* String(symbol) works where ToString throws */
      duk_get_global_string(ctx, "String");
      duk_dup(ctx, i);
      duk_call(ctx, 1);
      duk_replace(ctx, i);
    }
  }
  duk_push_string(ctx, " ");
  duk_insert(ctx, 0);
  duk_join(ctx, n);
  duk_push_string(ctx, "\n");
  duk_concat(ctx, 2);
  duk_size_t len = 0;
  const char *text = duk_get_lstring(ctx, -1, &len);
  hlg_print_n(text, len); /* one VM exit for the whole line */
  return 0;
}

static int is_int64(double d) { return d == trunc(d) && d >= -0x1p63 && d < 0x1p63; }

/* host.f64(x) & co.: an object carrying the kind and the number under hidden
 * keys, which scripts cannot read or forge. */
#define KIND_KEY DUK_HIDDEN_SYMBOL("hyperlightKind")
#define VALUE_KEY DUK_HIDDEN_SYMBOL("hyperlightValue")

static const struct {
  const char *name;
  uint8_t kind;
  double min, max; /* for integer kinds; max is exclusive */
} g_number_kinds[] = {
    {"i32", HLG_I32, -0x1p31, 0x1p31}, {"u32", HLG_U32, 0, 0x1p32}, {"i64", HLG_I64, -0x1p63, 0x1p63},
    {"u64", HLG_U64, 0, 0x1p64},       {"f32", HLG_F32, 0, 0},      {"f64", HLG_F64, 0, 0},
};

static duk_ret_t js_number_kind(duk_context *ctx) {
  const int which = duk_get_current_magic(ctx);
  const char *name = g_number_kinds[which].name;
  if (!duk_is_number(ctx, 0)) return script_error(ctx, DUK_ERR_TYPE_ERROR, "host.%s: not a number", name);
  double d = duk_get_number(ctx, 0);
  uint8_t kind = g_number_kinds[which].kind;
  if (kind != HLG_F32 && kind != HLG_F64 &&
      !(d == trunc(d) && d >= g_number_kinds[which].min && d < g_number_kinds[which].max))
    return script_error(ctx, DUK_ERR_RANGE_ERROR, "host.%s: %s does not fit %s", name, duk_to_string(ctx, 0), name);
  duk_push_object(ctx);
  duk_push_uint(ctx, kind);
  duk_put_prop_string(ctx, -2, KIND_KEY);
  duk_push_number(ctx, d);
  duk_put_prop_string(ctx, -2, VALUE_KEY);
  return 1;
}

/* A host.f64(x)-style value at i, or 0. */
static int number_with_kind(duk_context *ctx, duk_idx_t i, hlg_val *out) {
  if (!duk_is_object(ctx, i) || !duk_get_prop_string(ctx, i, KIND_KEY)) {
    if (duk_is_object(ctx, i)) duk_pop(ctx);
    return 0;
  }
  uint8_t kind = (uint8_t)duk_get_uint(ctx, -1);
  duk_get_prop_string(ctx, i, VALUE_KEY);
  double d = duk_get_number(ctx, -1);
  duk_pop_2(ctx);
  switch (kind) {
    case HLG_I32: *out = hlg_i32((int32_t)d); break;
    case HLG_U32: *out = hlg_u32((uint32_t)d); break;
    case HLG_I64: *out = hlg_i64((int64_t)d); break;
    case HLG_U64: *out = hlg_u64((uint64_t)d); break;
    case HLG_F32: *out = hlg_f32((float)d); break;
    default: *out = hlg_f64(d); break;
  }
  return 1;
}

static void to_host(duk_context *ctx, duk_idx_t i, hlg_val *out) {
  switch (duk_get_type(ctx, i)) {
    case DUK_TYPE_NUMBER: {
      double d = duk_get_number(ctx, i);
      *out = is_int64(d) ? hlg_i64((int64_t)d) : hlg_f64(d);
      return;
    }
    case DUK_TYPE_BOOLEAN: *out = hlg_bool(duk_get_boolean(ctx, i)); return;
    case DUK_TYPE_STRING: {
      duk_size_t len = 0;
      const char *s = duk_get_lstring(ctx, i, &len);
      *out = hlg_string_n(s, (uint32_t)len);
      return;
    }
    default:
      if (number_with_kind(ctx, i, out)) return;
      if (duk_is_buffer_data(ctx, i)) {
        duk_size_t len = 0;
        void *p = duk_get_buffer_data(ctx, i, &len);
        *out = hlg_bytes_value(p, len);
        return;
      }
      (void)script_error(ctx, DUK_ERR_TYPE_ERROR,
                         "host.call: argument %d is %s; numbers, booleans, strings and buffers can be passed", (int)i,
                         duk_is_null(ctx, i)        ? "null"
                         : duk_is_undefined(ctx, i) ? "undefined"
                                                    : "an object");
  }
}

static void push_from_host(duk_context *ctx, const hlg_val *v) {
  switch (v->kind) {
    case HLG_VOID: duk_push_undefined(ctx); break;
    case HLG_I32: duk_push_number(ctx, v->of.i32); break;
    case HLG_U32: duk_push_number(ctx, v->of.u32); break;
    case HLG_I64: duk_push_number(ctx, (double)v->of.i64); break;
    case HLG_U64: duk_push_number(ctx, (double)v->of.u64); break;
    case HLG_F32: duk_push_number(ctx, v->of.f32); break;
    case HLG_F64: duk_push_number(ctx, v->of.f64); break;
    case HLG_BOOL: duk_push_boolean(ctx, v->of.boolean); break;
    default: duk_push_lstring(ctx, (const char *)v->of.buf.ptr, v->of.buf.len); break; /* string, bytes */
  }
}

static duk_ret_t js_host_call(duk_context *ctx) {
  duk_idx_t n = duk_get_top(ctx);
  if (!duk_is_string(ctx, 0))
    return script_error(ctx, DUK_ERR_TYPE_ERROR, "host.call: the first argument is not a function name");
  const char *name = duk_get_string(ctx, 0);
  if (n - 1 > (duk_idx_t)HL_WIRE_MAX_ARGS)
    return script_error(ctx, DUK_ERR_RANGE_ERROR, "host.call: %d arguments, at most %d", (int)(n - 1),
                        (int)HL_WIRE_MAX_ARGS);
  hlg_val args[HL_WIRE_MAX_ARGS];
  for (duk_idx_t i = 1; i < n; i++) to_host(ctx, i, &args[i - 1]);
  hlg_val result;
  if (hlg_call_host(name, args, (uint32_t)(n - 1), &result) != HLG_OK)
    return script_error(ctx, DUK_ERR_ERROR, "%s", hlg_last_host_error());
  push_from_host(ctx, &result); /* copies: the result lives in the input buffer */
  return 1;
}

void hljs_install_bridge(duk_context *ctx) {
  duk_push_c_function(ctx, js_print, DUK_VARARGS);
  duk_put_global_string(ctx, "print");
  duk_push_object(ctx);
  duk_push_c_function(ctx, js_host_call, DUK_VARARGS);
  duk_put_prop_string(ctx, -2, "call");
  for (int i = 0; i < (int)(sizeof g_number_kinds / sizeof g_number_kinds[0]); i++) {
    duk_push_c_function(ctx, js_number_kind, 1);
    duk_set_magic(ctx, -1, i);
    duk_put_prop_string(ctx, -2, g_number_kinds[i].name);
  }
  duk_put_global_string(ctx, "host");
}
