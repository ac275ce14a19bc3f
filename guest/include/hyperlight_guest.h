/* hyperlight guest SDK: the C API a guest program is written against.
 *
 * A guest is a freestanding static-PIE ELF (build it with the CMake function
 * hl_add_guest). It defines hyperlight_main(), which runs once when the
 * sandbox is created and registers the guest's functions; the host then
 * calls them by name. Everything here runs in ring 3 inside the sandbox.
 *
 * Strings: hlg_val string payloads are (pointer, length) and, for values
 * received from the host, also NUL-terminated. A string or bytes argument
 * stays valid for the whole guest function call; a host call's string or
 * bytes result stays valid until the next host call. */
#ifndef HYPERLIGHT_GUEST_H
#define HYPERLIGHT_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "hl_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef hl_wire_val hlg_val;

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

/* Status codes (same numbers as the host's HL_ERROR_*). 0 is success. */
#define HLG_OK 0u
#define HLG_ERROR_INVALID_ARGUMENT 1u
#define HLG_ERROR_GUEST_FUNCTION_NOT_FOUND 8u
#define HLG_ERROR_HOST_FUNCTION_NOT_FOUND 9u
#define HLG_ERROR_HOST_FUNCTION_FAILED 10u
#define HLG_ERROR_GUEST_ERROR 14u
#define HLG_ERROR_PARAMETER_TYPE_MISMATCH 15u
#define HLG_ERROR_PARAMETER_COUNT_MISMATCH 16u
#define HLG_ERROR_TOO_LARGE 18u

#define HLG_MAX_FUNCTIONS 64u

/* Defined by every guest: registers its functions. */
void hyperlight_main(void);

/* A guest function. Set *result (its kind must be the registered return
 * kind) and return HLG_OK, or return an error code (see hlg_error). */
typedef uint32_t (*hlg_function)(const hlg_val *args, uint32_t nargs, hlg_val *result);

/* Registers fn under name (the string must stay valid: use a literal).
 * param_kinds is copied. Returns HLG_OK or HLG_ERROR_INVALID_ARGUMENT. */
uint32_t hlg_register(const char *name, hlg_function fn, uint8_t return_kind, uint32_t nparams,
                      const uint8_t *param_kinds);

/* Calls a host function. Returns HLG_OK and sets *result, or returns an
 * error code with the host's message in hlg_last_host_error(). */
uint32_t hlg_call_host(const char *name, const hlg_val *args, uint32_t nargs, hlg_val *result);
const char *hlg_last_host_error(void);

/* Sets the message for an error a guest function is about to return, and
 * returns code:  return hlg_error(HLG_ERROR_GUEST_ERROR, "bad input");
 * The message is copied (up to 255 bytes). */
uint32_t hlg_error(uint32_t code, const char *message);

/* Writes text to the host's standard output. */
void hlg_print(const char *text);

/* Stops the sandbox: the host's call fails with HL_ERROR_GUEST_ABORTED. */
__attribute__((noreturn)) void hlg_abort(uint32_t code, const char *message);

/* The random seed the host passed at start-up. */
uint64_t hlg_random_seed(void);

static inline hlg_val hlg_i32(int32_t v) {
  hlg_val r;
  r.kind = HLG_I32;
  r.of.u64 = 0;
  r.of.i32 = v;
  return r;
}
static inline hlg_val hlg_i64(int64_t v) {
  hlg_val r;
  r.kind = HLG_I64;
  r.of.i64 = v;
  return r;
}
static inline hlg_val hlg_void(void) {
  hlg_val r;
  r.kind = HLG_VOID;
  r.of.u64 = 0;
  return r;
}
/* A string value borrowing text (which must outlive its use). */
hlg_val hlg_string(const char *text);
static inline hlg_val hlg_string_n(const char *text, uint32_t len) {
  hlg_val r;
  r.kind = HLG_STRING;
  r.of.buf.ptr = (const uint8_t *)text;
  r.of.buf.len = len;
  return r;
}

/* The small libc subset guests get (gcc may emit calls to these too). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#ifdef __cplusplus
}
#endif

#endif
