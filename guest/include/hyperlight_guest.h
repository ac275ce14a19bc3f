/* hyperlight guest SDK: the C API a guest program is written against.
 *
 * A guest is a freestanding static-PIE ELF (build it with the CMake function
 * hl_add_guest, hyperlight-guest-cc or pkg-config hyperlight-guest;
 * docs/using.md). Its functions are exported to the host by name, either as
 * plain typed C functions (HLG_EXPORT, HLG_EXPORT_AS, HLG_FUNCTION +
 * HLG_REGISTER) or as uniform functions (hlg_register). hyperlight_main(),
 * if the guest defines it, runs once when the sandbox is created. A guest
 * needs at least one HLG_EXPORT or a hyperlight_main, or it does not link.
 * Everything here runs in ring 3 inside the sandbox. docs/guest-sdk.md is
 * the manual.
 *
 * Strings: hlg_val string payloads are (pointer, length) and, for values
 * received from the host, also NUL-terminated. A string or bytes argument
 * stays valid for the whole guest function call; a host call's string or
 * bytes result stays valid until the next host call.
 *
 * The SDK also provides a libc subset with the usual headers: <string.h>,
 * <stdlib.h>, <stdio.h>, <ctype.h>, <setjmp.h>, <assert.h>. */
#ifndef HYPERLIGHT_GUEST_H
#define HYPERLIGHT_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hl_abi.h"
#include "hl_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

typedef hl_wire_val hlg_val;

/* A byte string: the C type of a `bytes` parameter or result. */
typedef struct hlg_bytes {
  const uint8_t *ptr;
  size_t len;
} hlg_bytes;

/* Value kinds (same numbers as the host's HL_VAL_*). */
#define HLG_VOID HL_WIRE_VOID
#define HLG_I32 HL_WIRE_I32
#define HLG_U32 HL_WIRE_U32
#define HLG_I64 HL_WIRE_I64
#define HLG_U64 HL_WIRE_U64
#define HLG_F32 HL_WIRE_F32
#define HLG_F64 HL_WIRE_F64
#define HLG_BOOL HL_WIRE_BOOL
#define HLG_STRING HL_WIRE_STRING
#define HLG_BYTES HL_WIRE_BYTES

/* Status codes (same numbers as the host's HL_ERROR_*). 0 is success. The
 * host accepts only the codes that describe a guest function (8, 9, 10, 14,
 * 15, 16, 18); any other code reaches the caller as HL_ERROR_GUEST_ERROR. */
#define HLG_OK 0u
#define HLG_ERROR_INVALID_ARGUMENT 1u
#define HLG_ERROR_GUEST_FUNCTION_NOT_FOUND 8u
#define HLG_ERROR_HOST_FUNCTION_NOT_FOUND 9u
#define HLG_ERROR_HOST_FUNCTION_FAILED 10u
#define HLG_ERROR_GUEST_ERROR 14u
#define HLG_ERROR_PARAMETER_TYPE_MISMATCH 15u
#define HLG_ERROR_PARAMETER_COUNT_MISMATCH 16u
#define HLG_ERROR_TOO_LARGE 18u

/* Abort codes the SDK itself uses (EAX of the ABORT exit; the host reports
 * "guest aborted with code N: message"). Codes 1000-1099 are reserved for
 * the SDK; pick others for hlg_abort. */
#define HLG_ABORT_INIT 1000u            /* bad PEB, or an HLG_EXPORT could not be registered */
#define HLG_ABORT_OUT_OF_MEMORY 1001u   /* malloc/calloc/realloc could not allocate */
#define HLG_ABORT_HEAP_CORRUPTION 1002u /* free/realloc of a pointer malloc did not return, or twice */
#define HLG_ABORT_ASSERTION 1003u       /* assert() failed */
#define HLG_ABORT_ABORT 1004u           /* abort() was called */
#define HLG_ABORT_EXIT 1005u            /* exit() or _Exit() was called (guests on musl) */

#define HLG_MAX_FUNCTIONS 4096u /* registered functions (the table lives on the heap) */
#define HLG_MAX_PARAMS 16u      /* parameters of a typed function (uniform ones: 32) */

static inline hlg_val hlg_void(void) {
  hlg_val r;
  r.kind = HLG_VOID;
  r.of.buf.ptr = 0;
  r.of.buf.len = 0;
  return r;
}
static inline hlg_val hlg_i32(int32_t v) {
  hlg_val r = hlg_void();
  r.kind = HLG_I32;
  r.of.i32 = v;
  return r;
}
static inline hlg_val hlg_u32(uint32_t v) {
  hlg_val r = hlg_void();
  r.kind = HLG_U32;
  r.of.u32 = v;
  return r;
}
static inline hlg_val hlg_i64(int64_t v) {
  hlg_val r = hlg_void();
  r.kind = HLG_I64;
  r.of.i64 = v;
  return r;
}
static inline hlg_val hlg_u64(uint64_t v) {
  hlg_val r = hlg_void();
  r.kind = HLG_U64;
  r.of.u64 = v;
  return r;
}
static inline hlg_val hlg_f32(float v) {
  hlg_val r = hlg_void();
  r.kind = HLG_F32;
  r.of.f32 = v;
  return r;
}
static inline hlg_val hlg_f64(double v) {
  hlg_val r = hlg_void();
  r.kind = HLG_F64;
  r.of.f64 = v;
  return r;
}
static inline hlg_val hlg_bool(bool v) {
  hlg_val r = hlg_void();
  r.kind = HLG_BOOL;
  r.of.boolean = v ? 1 : 0;
  return r;
}
/* A string value borrowing text (NULL means ""); text must outlive its use. */
hlg_val hlg_string(const char *text);
static inline hlg_val hlg_string_n(const char *text, uint32_t len) {
  hlg_val r = hlg_void();
  r.kind = HLG_STRING;
  r.of.buf.ptr = (const uint8_t *)text;
  r.of.buf.len = len;
  return r;
}
/* A bytes value borrowing ptr[0..len). */
static inline hlg_val hlg_bytes_value(const void *ptr, size_t len) {
  hlg_val r = hlg_void();
  r.kind = HLG_BYTES;
  r.of.buf.ptr = (const uint8_t *)ptr;
  r.of.buf.len = (uint32_t)len;
  return r;
}

/* ------------------------------------------------------------------------ */
/* Guest functions: uniform registration                                    */
/* ------------------------------------------------------------------------ */

/* Define it to register functions at run time (optional if the guest has
 * an HLG_EXPORT; a guest with neither fails to link). Runs once, after the
 * HLG_EXPORT functions are registered and before the host's first call. */
void hyperlight_main(void);

/* A uniform guest function. The dispatcher has already checked the argument
 * count and kinds. Set *result (of the registered return kind) and return
 * HLG_OK, or return an error code (see hlg_error). */
typedef uint32_t (*hlg_function)(const hlg_val *args, uint32_t nargs, hlg_val *result);

/* Registers fn under name (the string must stay valid: use a literal).
 * param_kinds is copied. Returns HLG_OK, or HLG_ERROR_INVALID_ARGUMENT for a
 * bad or duplicate name, a bad kind, more than 32 parameters, more than
 * HLG_MAX_FUNCTIONS functions, or a call after initialisation (the host
 * learns the function table when hyperlight_main returns). */
uint32_t hlg_register(const char *name, hlg_function fn, uint8_t return_kind, uint32_t nparams,
                      const uint8_t *param_kinds);

/* Handles calls to names no function is registered under. It receives the
 * name (NUL-terminated) and the arguments unchecked; it may return a value
 * of any kind. Return hlg_error(HLG_ERROR_GUEST_FUNCTION_NOT_FOUND, ...) for
 * names it does not handle either. */
typedef uint32_t (*hlg_fallback_function)(const char *name, const hlg_val *args, uint32_t nargs, hlg_val *result);

/* Sets the fallback (one per guest; a second call replaces it). Only during
 * initialisation; returns HLG_OK or HLG_ERROR_INVALID_ARGUMENT. */
uint32_t hlg_register_fallback(hlg_fallback_function fn);

/* ------------------------------------------------------------------------ */
/* Guest functions: typed registration                                      */
/* ------------------------------------------------------------------------ */

/* Kind tokens for the typed macros, and the C type each one stands for:
 *
 *   void   void (results only)      f32     float
 *   i32    int32_t                  f64     double
 *   u32    uint32_t                 bool    bool
 *   i64    int64_t                  string  const char * (NUL-terminated)
 *   u64    uint64_t                 bytes   hlg_bytes (pointer + length)
 *
 * HLG_EXPORT(ret, fn, params...)      at file scope, after fn is declared:
 *     exports fn under its own name ("fn") with result kind ret and the
 *     parameter kinds params (0 to HLG_MAX_PARAMS of them). fn's C signature
 *     must match exactly (checked at compile time). Exported functions are
 *     registered automatically before hyperlight_main runs.
 * HLG_EXPORT_AS(name, ret, fn, params...)   the same under another name.
 * HLG_FUNCTION(ret, fn, params...)    at file scope: only generates the
 *     wrapper; register it yourself in hyperlight_main with
 * HLG_REGISTER(fn, name)              -> HLG_OK or an error code.
 *
 *   static int32_t add(int32_t a, int32_t b) { return a + b; }
 *   HLG_EXPORT_AS("Add", i32, add, i32, i32);
 *
 * A string or bytes result is copied into the output buffer after fn
 * returns: it may point at an argument, static data, or scratch memory
 * (hlg_scratch_alloc), which is freed after the copy. A NULL string result
 * is sent as "". To fail, call hlg_fail (or hlg_error) and return any value:
 * the recorded error is reported instead of the result. */

/* What HLG_FUNCTION generates (and hlg_register_export consumes). */
typedef struct hlg_export {
  const char *name;
  hlg_function fn;
  uint8_t return_kind;
  uint8_t nparams;
  const uint8_t *params;
} hlg_export;

/* Registers e's wrapper under name (e->name if name is NULL). */
uint32_t hlg_register_export(const hlg_export *e, const char *name);

#define HLG_EXPORT(ret, fn, ...) HLG_EXPORT_AS(#fn, ret, fn __VA_OPT__(, ) __VA_ARGS__)

#define HLG_EXPORT_AS(name, ret, fn, ...)                                                                     \
  HLG__DEFINE_WRAPPER(ret, fn __VA_OPT__(, ) __VA_ARGS__);                                                    \
  static const hlg_export hlg__export_##fn = {name, hlg__wrapper_##fn, HLG__K_##ret, HLG__NARGS(__VA_ARGS__), \
                                              hlg__params_##fn};                                              \
  static const hlg_export *const hlg__auto_##fn __attribute__((used, section("hlg_exports"), aligned(8))) =   \
      &hlg__export_##fn

#define HLG_FUNCTION(ret, fn, ...)                                                                           \
  HLG__DEFINE_WRAPPER(ret, fn __VA_OPT__(, ) __VA_ARGS__);                                                   \
  static const hlg_export hlg__export_##fn = {#fn, hlg__wrapper_##fn, HLG__K_##ret, HLG__NARGS(__VA_ARGS__), \
                                              hlg__params_##fn}

#define HLG_REGISTER(fn, name) hlg_register_export(&hlg__export_##fn, (name))

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* Records an error for the current guest call and returns code, so a
 * uniform function can write  return hlg_error(HLG_ERROR_GUEST_ERROR, "bad");
 * The message is copied (up to 1023 bytes). A recorded error is reported
 * even if the function then returns HLG_OK. code 0 means GUEST_ERROR. */
uint32_t hlg_error(uint32_t code, const char *message);

/* hlg_error with a printf-style message; for typed functions:
 *   if (b == 0) { hlg_fail(HLG_ERROR_GUEST_ERROR, "divide(%d, 0)", a); return 0; } */
void hlg_fail(uint32_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------ */
/* Host calls                                                               */
/* ------------------------------------------------------------------------ */

/* Calls a host function. Returns HLG_OK and sets *result, or returns an
 * error code with the host's message in hlg_last_host_error(). Returning
 * that code from a uniform function passes the host's message on. */
uint32_t hlg_call_host(const char *name, const hlg_val *args, uint32_t nargs, hlg_val *result);
const char *hlg_last_host_error(void);

/* Calls a host function and checks that its result is of return_kind, then
 * stores it in *out as the kind's C type (int32_t, ..., bool, const char *,
 * hlg_bytes; out may be NULL to drop it). A result of another kind fails
 * with HLG_ERROR_PARAMETER_TYPE_MISMATCH. */
uint32_t hlg_call_host_typed(const char *name, uint8_t return_kind, void *out, const hlg_val *args, uint32_t nargs);

/* HLG_CALL_HOST(ret, out, name, args...): the same with a kind token, a
 * type-checked out pointer (NULL for void) and the arguments inline:
 *   int32_t sum;
 *   uint32_t status = HLG_CALL_HOST(i32, &sum, "HostAdd", hlg_i32(a), hlg_i32(b));
 *   if (status != HLG_OK) { hlg_fail(status, "%s", hlg_last_host_error()); return 0; } */
#define HLG_CALL_HOST(ret, out, name, ...)                                      \
  hlg_call_host_typed((name), HLG__K_##ret, HLG__OUT_##ret(out),                \
                      (const hlg_val[]){__VA_ARGS__ __VA_OPT__(, ) hlg_void()}, \
                      (uint32_t)(sizeof((hlg_val[]){__VA_ARGS__ __VA_OPT__(, ) hlg_void()}) / sizeof(hlg_val)) - 1u)

/* ------------------------------------------------------------------------ */
/* Output, logging, abort                                                   */
/* ------------------------------------------------------------------------ */

/* Writes text to the host's standard output (one VM exit per output-buffer
 * sized chunk). printf/puts (<stdio.h>) format into it. */
void hlg_print(const char *text);
void hlg_print_n(const char *text, size_t len);

/* Log levels (the host's HL_LOG_*). */
#define HLG_LEVEL_OFF HL_LOG_LEVEL_OFF
#define HLG_LEVEL_ERROR HL_LOG_LEVEL_ERROR
#define HLG_LEVEL_WARN HL_LOG_LEVEL_WARN
#define HLG_LEVEL_INFO HL_LOG_LEVEL_INFO
#define HLG_LEVEL_DEBUG HL_LOG_LEVEL_DEBUG
#define HLG_LEVEL_TRACE HL_LOG_LEVEL_TRACE

/* The most verbose level the host wants (HLG_LEVEL_OFF .. HLG_LEVEL_TRACE). */
uint32_t hlg_max_log_level(void);
/* True if a record of this level would be sent. */
bool hlg_log_enabled(uint32_t level);

/* Sends a log record (one VM exit) if level is enabled; otherwise returns at
 * once without formatting. A message longer than the output buffer allows
 * is cut and ends with "...[truncated]". */
void hlg_log(uint32_t level, const char *file, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void hlg_vlog(uint32_t level, const char *file, uint32_t line, const char *fmt, va_list ap);

/* The macros also skip evaluating their arguments when the level is off. */
#define HLG_LOG(level, ...)                                                        \
  do {                                                                             \
    if (hlg_log_enabled(level)) hlg_log((level), __FILE__, __LINE__, __VA_ARGS__); \
  } while (0)
#define HLG_LOG_ERROR(...) HLG_LOG(HLG_LEVEL_ERROR, __VA_ARGS__)
#define HLG_LOG_WARN(...) HLG_LOG(HLG_LEVEL_WARN, __VA_ARGS__)
#define HLG_LOG_INFO(...) HLG_LOG(HLG_LEVEL_INFO, __VA_ARGS__)
#define HLG_LOG_DEBUG(...) HLG_LOG(HLG_LEVEL_DEBUG, __VA_ARGS__)
#define HLG_LOG_TRACE(...) HLG_LOG(HLG_LEVEL_TRACE, __VA_ARGS__)

/* Stops the sandbox: the host's call fails with HL_ERROR_GUEST_ABORTED and
 * the sandbox is poisoned. Works with a broken stack or heap: it switches to
 * its own stack first (entering it with a `jmp` and RSP pointing anywhere
 * is fine). A message longer than HL_MAX_ABORT_MESSAGE (4096) bytes is cut
 * and ends with "...[truncated]". NULL means no message. */
__attribute__((noreturn)) void hlg_abort(uint32_t code, const char *message);
/* hlg_abort with a printf-style message (formats on the current stack). */
__attribute__((noreturn, format(printf, 2, 3))) void hlg_abortf(uint32_t code, const char *fmt, ...);

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */
/* ------------------------------------------------------------------------ */

/* malloc/calloc/realloc/free are in <stdlib.h>; they abort with
 * HLG_ABORT_OUT_OF_MEMORY when the heap is exhausted. */

/* malloc that returns NULL instead of aborting. */
void *hlg_try_malloc(size_t size);

struct hlg_heap_stats {
  size_t heap_size;    /* bytes managed (PEB heap size less bookkeeping) */
  size_t free_bytes;   /* total size of free blocks */
  size_t largest_free; /* the largest single allocation that would succeed */
  size_t allocations;  /* live allocations */
};
void hlg_heap_stats(struct hlg_heap_stats *stats);

/* Scratch memory: freed automatically when the current guest call (or
 * initialisation) ends, after its result has been sent. Use it for string
 * and bytes results. Aborts like malloc when the heap is exhausted. */
void *hlg_scratch_alloc(size_t size);
char *hlg_scratch_strdup(const char *text);
char *hlg_scratch_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Bytes of guest stack left below the caller's frame, down to the guard
 * page (the stack size is the host's hl_config_set_stack_size). */
size_t hlg_stack_left(void);

/* The random seed the host passed at start-up. */
uint64_t hlg_random_seed(void);

/* The init-data blob the host configured (hl_config_set_init_data): sets
 * *data and *len and returns 1, or returns 0 (and sets them to NULL, 0) when
 * there is none. Its permissions are the host's choice (default read-only). */
int hlg_init_data(const uint8_t **data, size_t *len);

/* The guest counter: a value only the host changes (hl_sandbox_counter_*). */
uint64_t hlg_counter(void);

/* ------------------------------------------------------------------------ */
/* Implementation details of the macros above (not API)                     */
/* ------------------------------------------------------------------------ */

#define HLG__CAT(a, b) HLG__CAT_(a, b)
#define HLG__CAT_(a, b) a##b

/* Number of arguments, 0 to 16. */
#define HLG__NARGS(...) \
  HLG__NARGS_(0 __VA_OPT__(, __VA_ARGS__), 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define HLG__NARGS_(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, n, ...) n

/* HLG__MAP(m, a, b, ...) -> m(0, a), m(1, b), ... */
#define HLG__MAP(m, ...) HLG__CAT(HLG__MAP_, HLG__NARGS(__VA_ARGS__))(m __VA_OPT__(, ) __VA_ARGS__)
#define HLG__MAP_0(m)
#define HLG__MAP_1(m, a) m(0, a)
#define HLG__MAP_2(m, a, b) HLG__MAP_1(m, a), m(1, b)
#define HLG__MAP_3(m, a, b, c) HLG__MAP_2(m, a, b), m(2, c)
#define HLG__MAP_4(m, a, b, c, d) HLG__MAP_3(m, a, b, c), m(3, d)
#define HLG__MAP_5(m, a, b, c, d, e) HLG__MAP_4(m, a, b, c, d), m(4, e)
#define HLG__MAP_6(m, a, b, c, d, e, f) HLG__MAP_5(m, a, b, c, d, e), m(5, f)
#define HLG__MAP_7(m, a, b, c, d, e, f, g) HLG__MAP_6(m, a, b, c, d, e, f), m(6, g)
#define HLG__MAP_8(m, a, b, c, d, e, f, g, h) HLG__MAP_7(m, a, b, c, d, e, f, g), m(7, h)
#define HLG__MAP_9(m, a, b, c, d, e, f, g, h, i) HLG__MAP_8(m, a, b, c, d, e, f, g, h), m(8, i)
#define HLG__MAP_10(m, a, b, c, d, e, f, g, h, i, j) HLG__MAP_9(m, a, b, c, d, e, f, g, h, i), m(9, j)
#define HLG__MAP_11(m, a, b, c, d, e, f, g, h, i, j, k) HLG__MAP_10(m, a, b, c, d, e, f, g, h, i, j), m(10, k)
#define HLG__MAP_12(m, a, b, c, d, e, f, g, h, i, j, k, l) HLG__MAP_11(m, a, b, c, d, e, f, g, h, i, j, k), m(11, l)
#define HLG__MAP_13(m, a, b, c, d, e, f, g, h, i, j, k, l, n) \
  HLG__MAP_12(m, a, b, c, d, e, f, g, h, i, j, k, l), m(12, n)
#define HLG__MAP_14(m, a, b, c, d, e, f, g, h, i, j, k, l, n, o) \
  HLG__MAP_13(m, a, b, c, d, e, f, g, h, i, j, k, l, n), m(13, o)
#define HLG__MAP_15(m, a, b, c, d, e, f, g, h, i, j, k, l, n, o, p) \
  HLG__MAP_14(m, a, b, c, d, e, f, g, h, i, j, k, l, n, o), m(14, p)
#define HLG__MAP_16(m, a, b, c, d, e, f, g, h, i, j, k, l, n, o, p, q) \
  HLG__MAP_15(m, a, b, c, d, e, f, g, h, i, j, k, l, n, o, p), m(15, q)

/* Per kind token: C type (T), kind number (K), argument getter (G), result
 * maker (R) and typed out-pointer check (OUT). `_Bool` variants exist
 * because <stdbool.h> may have turned `bool` into `_Bool` on the way. */
#define HLG__T_void void
#define HLG__T_i32 int32_t
#define HLG__T_u32 uint32_t
#define HLG__T_i64 int64_t
#define HLG__T_u64 uint64_t
#define HLG__T_f32 float
#define HLG__T_f64 double
#define HLG__T_bool _Bool
#define HLG__T__Bool _Bool
#define HLG__T_string const char *
#define HLG__T_bytes hlg_bytes

#define HLG__K_void HLG_VOID
#define HLG__K_i32 HLG_I32
#define HLG__K_u32 HLG_U32
#define HLG__K_i64 HLG_I64
#define HLG__K_u64 HLG_U64
#define HLG__K_f32 HLG_F32
#define HLG__K_f64 HLG_F64
#define HLG__K_bool HLG_BOOL
#define HLG__K__Bool HLG_BOOL
#define HLG__K_string HLG_STRING
#define HLG__K_bytes HLG_BYTES

#define HLG__G_i32(v) ((v).of.i32)
#define HLG__G_u32(v) ((v).of.u32)
#define HLG__G_i64(v) ((v).of.i64)
#define HLG__G_u64(v) ((v).of.u64)
#define HLG__G_f32(v) ((v).of.f32)
#define HLG__G_f64(v) ((v).of.f64)
#define HLG__G_bool(v) ((v).of.boolean != 0)
#define HLG__G__Bool(v) ((v).of.boolean != 0)
#define HLG__G_string(v) ((const char *)(v).of.buf.ptr)
#define HLG__G_bytes(v) hlg__bytes_arg(&(v))

#define HLG__R_void(e) ((e), hlg_void())
#define HLG__R_i32(e) hlg_i32(e)
#define HLG__R_u32(e) hlg_u32(e)
#define HLG__R_i64(e) hlg_i64(e)
#define HLG__R_u64(e) hlg_u64(e)
#define HLG__R_f32(e) hlg_f32(e)
#define HLG__R_f64(e) hlg_f64(e)
#define HLG__R_bool(e) hlg_bool(e)
#define HLG__R__Bool(e) hlg_bool(e)
#define HLG__R_string(e) hlg_string(e)
#define HLG__R_bytes(e) hlg__bytes_result(e)

#define HLG__OUT_void(p) ((void)(p), (void *)0)
#define HLG__OUT_i32(p) hlg__out_i32(p)
#define HLG__OUT_u32(p) hlg__out_u32(p)
#define HLG__OUT_i64(p) hlg__out_i64(p)
#define HLG__OUT_u64(p) hlg__out_u64(p)
#define HLG__OUT_f32(p) hlg__out_f32(p)
#define HLG__OUT_f64(p) hlg__out_f64(p)
#define HLG__OUT_bool(p) hlg__out_bool(p)
#define HLG__OUT__Bool(p) hlg__out_bool(p)
#define HLG__OUT_string(p) hlg__out_string(p)
#define HLG__OUT_bytes(p) hlg__out_bytes(p)

static inline hlg_bytes hlg__bytes_arg(const hlg_val *v) {
  hlg_bytes b;
  b.ptr = v->of.buf.ptr;
  b.len = v->of.buf.len;
  return b;
}
static inline hlg_val hlg__bytes_result(hlg_bytes b) { return hlg_bytes_value(b.ptr, b.len); }
static inline void *hlg__out_i32(int32_t *p) { return p; }
static inline void *hlg__out_u32(uint32_t *p) { return p; }
static inline void *hlg__out_i64(int64_t *p) { return p; }
static inline void *hlg__out_u64(uint64_t *p) { return p; }
static inline void *hlg__out_f32(float *p) { return p; }
static inline void *hlg__out_f64(double *p) { return p; }
static inline void *hlg__out_bool(bool *p) { return p; }
static inline void *hlg__out_string(const char **p) { return (void *)p; }
static inline void *hlg__out_bytes(hlg_bytes *p) { return p; }

#define HLG__TYPE_OF(i, k) HLG__T_##k
#define HLG__KIND_OF(i, k) HLG__K_##k
#define HLG__ARG_OF(i, k) HLG__G_##k(hlg__args[i])
/* The parameter list of a C prototype: the types, or `void` for none. */
#define HLG__PARAM_TYPES(...) HLG__MAP(HLG__TYPE_OF, __VA_ARGS__) HLG__CAT(HLG__VOID_IF_NONE_, __VA_OPT__(1))
#define HLG__VOID_IF_NONE_ void
#define HLG__VOID_IF_NONE_1

#define HLG__DEFINE_WRAPPER(ret, fn, ...)                                                                        \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&fn), HLG__T_##ret (*)(HLG__PARAM_TYPES(__VA_ARGS__))), \
                 "the C signature of " #fn " does not match the kinds given to HLG_EXPORT/HLG_FUNCTION");        \
  static uint32_t hlg__wrapper_##fn(const hlg_val *hlg__args, uint32_t hlg__nargs, hlg_val *hlg__result) {       \
    (void)hlg__args;                                                                                             \
    (void)hlg__nargs;                                                                                            \
    *hlg__result = HLG__R_##ret(fn(HLG__MAP(HLG__ARG_OF, __VA_ARGS__)));                                         \
    return HLG_OK;                                                                                               \
  }                                                                                                              \
  static const uint8_t hlg__params_##fn[] = {HLG__MAP(HLG__KIND_OF, __VA_ARGS__) __VA_OPT__(, ) HLG_VOID}

#ifdef __cplusplus
}
#endif

#endif
