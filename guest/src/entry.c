/* Guest entry, registration and call dispatch.
 *
 * The host starts the vCPU at hl_guest_entry once; it sets up the heap,
 * registers the HLG_EXPORT functions, runs hyperlight_main() and reports
 * READY with the address of hlg_call_entry and the function table. For
 * every call the host points RIP at hlg_call_entry with a fresh stack; it
 * loads the snapshot's x87/SSE state when the host asks (after a restore)
 * and jumps to hlg_dispatch, which decodes the CALL from the input buffer,
 * runs the function (or the fallback) and reports DONE. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "ports.h"
#include "runtime.h"

_Static_assert(offsetof(struct hl_peb, fpu_restore) == HL_PEB_FPU_RESTORE_OFFSET, "PEB layout");
_Static_assert(offsetof(struct hl_peb, fpu_image) == HL_PEB_FPU_IMAGE_OFFSET, "PEB layout");
_Static_assert(HL_PEB_FPU_IMAGE_OFFSET % 16 == 0, "FXRSTOR needs a 16-byte aligned image");

/* Before any compiled code, which may use SSE registers, runs (abi/hl_abi.h,
 * fpu_restore). No frame of its own: backtraces show hlg_dispatch. */
#define HL_STRINGIFY_(x) #x
#define HL_STRINGIFY(x) HL_STRINGIFY_(x)
__asm__(".pushsection .text.hlg_call_entry, \"ax\", @progbits\n"
        ".globl hlg_call_entry\n"
        ".type hlg_call_entry, @function\n"
        "hlg_call_entry:\n"
        "  movq hlg_peb(%rip), %rax\n"
        "  cmpl $0, " HL_STRINGIFY(HL_PEB_FPU_RESTORE_OFFSET) "(%rax)\n"
        "  je 1f\n"
        "  fxrstor64 " HL_STRINGIFY(HL_PEB_FPU_IMAGE_OFFSET) "(%rax)\n"
        "1:\n"
        "  jmp hlg_dispatch\n"
        ".size hlg_call_entry, .-hlg_call_entry\n"
        ".popsection\n");
void hlg_call_entry(void);

const struct hl_peb *hlg_peb;
uint32_t hlg_reply_offset;
static uint64_t g_seed;
static int g_initialised; /* READY sent: the host has the function table */

struct guest_function {
  const char *name;
  uint32_t name_len;
  hlg_function fn;
  uint8_t return_kind;
  uint8_t nparams;
  uint8_t params[HL_WIRE_MAX_ARGS];
};

/* On the heap (grown during initialisation), so guests pay only for what
 * they register. */
static struct guest_function *g_functions;
static uint32_t g_function_count, g_function_capacity;
static hlg_fallback_function g_fallback;

/* The error recorded for the current call by hlg_error / hlg_fail. */
static char g_error_message[1024];
static uint32_t g_error_code;

/* HLG_EXPORT puts a pointer to each descriptor in this section; the linker
 * provides its bounds. This NULL entry makes sure the section exists. */
static const hlg_export *const g_no_export __attribute__((used, section("hlg_exports"), aligned(8))) = 0;
extern const hlg_export *const __start_hlg_exports[] __attribute__((visibility("hidden")));
extern const hlg_export *const __stop_hlg_exports[] __attribute__((visibility("hidden")));

/* A guest without run-time registrations need not define hyperlight_main:
 * a weak reference is NULL then. A reference, not a weak default, so the
 * link can tell whether the guest defined it (guest_link_checks.ld). */
extern void hyperlight_main(void) __attribute__((weak));

const char *hlg__kind_name(uint8_t kind) {
  static const char *const names[] = {"void", "i32", "u32", "i64", "u64", "f32", "f64", "bool", "string", "bytes"};
  return kind < HL_WIRE_KIND_COUNT ? names[kind] : "unknown";
}

uint64_t hlg_random_seed(void) { return g_seed; }

hlg_val hlg_string(const char *text) {
  if (!text) text = "";
  return hlg_string_n(text, (uint32_t)strlen(text));
}

static const struct guest_function *find_function(const uint8_t *name, uint32_t len) {
  for (uint32_t i = 0; i < g_function_count; i++)
    if (g_functions[i].name_len == len && memcmp(g_functions[i].name, name, len) == 0) return &g_functions[i];
  return 0;
}

uint32_t hlg_register(const char *name, hlg_function fn, uint8_t return_kind, uint32_t nparams,
                      const uint8_t *param_kinds) {
  size_t len = name ? strlen(name) : 0;
  if (g_initialised || !fn || len == 0 || len > HL_WIRE_MAX_NAME || nparams > HL_WIRE_MAX_ARGS ||
      (nparams && !param_kinds) || return_kind >= HL_WIRE_KIND_COUNT || g_function_count == HLG_MAX_FUNCTIONS ||
      find_function((const uint8_t *)name, (uint32_t)len))
    return HLG_ERROR_INVALID_ARGUMENT;
  if (g_function_count == g_function_capacity) {
    uint32_t capacity = g_function_capacity ? 2 * g_function_capacity : 32;
    struct guest_function *grown = (struct guest_function *)hlg_try_malloc(capacity * sizeof *grown);
    if (!grown) return HLG_ERROR_INVALID_ARGUMENT;
    if (g_functions) memcpy(grown, g_functions, g_function_count * sizeof *grown);
    free(g_functions);
    g_functions = grown;
    g_function_capacity = capacity;
  }
  struct guest_function *f = &g_functions[g_function_count];
  for (uint32_t i = 0; i < nparams; i++) {
    if (param_kinds[i] == HLG_VOID || param_kinds[i] >= HL_WIRE_KIND_COUNT) return HLG_ERROR_INVALID_ARGUMENT;
    f->params[i] = param_kinds[i];
  }
  f->name = name;
  f->name_len = (uint32_t)len;
  f->fn = fn;
  f->return_kind = return_kind;
  f->nparams = (uint8_t)nparams;
  g_function_count++;
  return HLG_OK;
}

uint32_t hlg_register_export(const hlg_export *e, const char *name) {
  if (!e) return HLG_ERROR_INVALID_ARGUMENT;
  return hlg_register(name ? name : e->name, e->fn, e->return_kind, e->nparams, e->params);
}

uint32_t hlg_register_fallback(hlg_fallback_function fn) {
  if (g_initialised || !fn) return HLG_ERROR_INVALID_ARGUMENT;
  g_fallback = fn;
  return HLG_OK;
}

uint32_t hlg_error(uint32_t code, const char *message) {
  if (!message) message = "";
  size_t n = strnlen(message, sizeof g_error_message - 1);
  memcpy(g_error_message, message, n);
  g_error_message[n] = 0;
  g_error_code = code ? code : HLG_ERROR_GUEST_ERROR;
  return code;
}

void hlg_fail(uint32_t code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_error_message, sizeof g_error_message, fmt ? fmt : "", ap);
  va_end(ap);
  g_error_code = code ? code : HLG_ERROR_GUEST_ERROR;
}

void hlg__write_error(uint32_t code, const char *text, uint32_t len) {
  uint32_t cap = hlg_output_size();
  uint32_t room = cap > 32 ? cap - 32 : 0; /* header, code, length, NUL */
  hl_wire_writer w;
  hl_wire_begin(&w, hlg_output_buffer(), cap, HL_MSG_ERROR);
  hl_wire_put_u32(&w, code);
  hl_wire_put_str(&w, text, len < room ? len : room);
  hl_wire_end(&w);
}

__attribute__((noreturn)) static void finish(void) {
  hlg__scratch_free_all();
  for (;;) hlg_port_out(HL_PORT_DONE, 0);
}

__attribute__((noreturn, format(printf, 2, 3))) static void finish_with_error(uint32_t code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  hlg__write_error(code, msg, (uint32_t)n < sizeof msg ? (uint32_t)n : (uint32_t)sizeof msg - 1);
  finish();
}

__attribute__((noreturn)) static void finish_with_recorded_error(void) {
  hlg__write_error(g_error_code, g_error_message, (uint32_t)strlen(g_error_message));
  finish();
}

__attribute__((noreturn)) void hlg_dispatch(void) {
  hl_wire_reader r;
  const uint8_t *name = 0;
  uint32_t name_len = 0;
  hlg_val args[HL_WIRE_MAX_ARGS];

  uint8_t type = hl_wire_open(&r, hlg_input_buffer(), hlg_input_size());
  if (type != HL_MSG_CALL || !hl_wire_get_str(&r, &name, &name_len))
    finish_with_error(HLG_ERROR_INVALID_ARGUMENT, "guest received a malformed call");
  uint8_t nargs = hl_wire_get_u8(&r);
  if (nargs > HL_WIRE_MAX_ARGS) finish_with_error(HLG_ERROR_INVALID_ARGUMENT, "guest received too many arguments");
  for (uint8_t i = 0; i < nargs; i++)
    if (!hl_wire_get_val(&r, &args[i])) finish_with_error(HLG_ERROR_INVALID_ARGUMENT, "guest received a bad argument");
  if (!hl_wire_done(&r)) finish_with_error(HLG_ERROR_INVALID_ARGUMENT, "guest received trailing call data");
  hlg_reply_offset = hl_wire_align8(r.len);

  g_error_code = 0;
  g_error_message[0] = 0;
  hlg_val result = hlg_void();
  uint32_t status;
  const struct guest_function *f = find_function(name, name_len);
  if (f) {
    if (nargs != f->nparams)
      finish_with_error(HLG_ERROR_PARAMETER_COUNT_MISMATCH, "takes %u arguments, got %u", f->nparams, nargs);
    for (uint8_t i = 0; i < nargs; i++)
      if (args[i].kind != f->params[i])
        finish_with_error(HLG_ERROR_PARAMETER_TYPE_MISMATCH, "parameter %u expects %s, got %s", i,
                          hlg__kind_name(f->params[i]), hlg__kind_name(args[i].kind));
    status = f->fn(args, nargs, &result);
  } else if (g_fallback) {
    status = g_fallback((const char *)name, args, nargs, &result); /* the codec NUL-terminates name */
  } else {
    finish_with_error(HLG_ERROR_GUEST_FUNCTION_NOT_FOUND, "no guest function named '%.*s'", (int)name_len,
                      (const char *)name);
  }
  hlg__flush_stdio();

  if (status != HLG_OK) {
    const char *text = g_error_message[0] ? g_error_message : hlg_last_host_error();
    if (!text[0]) text = "guest function returned an error";
    hlg__write_error(status, text, (uint32_t)strlen(text));
    finish();
  }
  if (g_error_code != 0) finish_with_recorded_error();
  if (f ? result.kind != f->return_kind : result.kind >= HL_WIRE_KIND_COUNT)
    finish_with_error(HLG_ERROR_GUEST_ERROR, "returned %s but is registered to return %s", hlg__kind_name(result.kind),
                      f ? hlg__kind_name(f->return_kind) : "a value");
  hl_wire_writer w;
  hl_wire_begin(&w, hlg_output_buffer(), hlg_output_size(), HL_MSG_RESULT);
  hl_wire_put_val(&w, &result);
  if (!hl_wire_end(&w))
    finish_with_error(HLG_ERROR_TOO_LARGE, "the result (%u bytes) does not fit in the output buffer (%u bytes)",
                      w.needed, hlg_output_size());
  finish();
}

/* READY(abi, dispatch, function table). Without room for the table the
 * host still works; it then checks calls only inside the guest. */
static void write_ready(void) {
  hl_wire_writer w;
  hl_wire_begin(&w, hlg_output_buffer(), hlg_output_size(), HL_MSG_READY);
  hl_wire_put_u32(&w, HL_ABI_VERSION);
  hl_wire_put_u64(&w, (uint64_t)(uintptr_t)&hlg_call_entry);
  hl_wire_put_u32(&w, g_function_count);
  for (uint32_t i = 0; i < g_function_count; i++) {
    const struct guest_function *f = &g_functions[i];
    hl_wire_put_str(&w, f->name, f->name_len);
    hl_wire_put_u8(&w, f->return_kind);
    hl_wire_put_u8(&w, f->nparams);
    for (uint32_t p = 0; p < f->nparams; p++) hl_wire_put_u8(&w, f->params[p]);
  }
  hl_wire_put_u8(&w, g_fallback ? 1 : 0);
  if (hl_wire_end(&w)) return;
  hl_wire_begin(&w, hlg_output_buffer(), hlg_output_size(), HL_MSG_READY);
  hl_wire_put_u32(&w, HL_ABI_VERSION);
  hl_wire_put_u64(&w, (uint64_t)(uintptr_t)&hlg_call_entry);
  hl_wire_end(&w);
}

__attribute__((noreturn)) void hl_guest_entry(const struct hl_peb *peb, uint64_t seed, uint64_t page_size,
                                              uint64_t max_log_level) {
  (void)page_size;
  hlg_peb = peb;
  g_seed = seed;
  hlg_reply_offset = 0;
  if (peb->magic != HL_PEB_MAGIC) hlg_abort(HLG_ABORT_INIT, "bad PEB magic");
  hlg__set_max_log_level(max_log_level);
  hlg__heap_init(peb->heap, peb->heap_size);
  for (const hlg_export *const *e = __start_hlg_exports; e < __stop_hlg_exports; e++) {
    if (!*e) continue;
    if (hlg_register_export(*e, 0) != HLG_OK)
      hlg_abortf(HLG_ABORT_INIT, "cannot register guest function '%s' (bad or duplicate name, or more than %u)",
                 (*e)->name ? (*e)->name : "", HLG_MAX_FUNCTIONS);
  }
  if (hyperlight_main) hyperlight_main();
  hlg__flush_stdio();
  write_ready();
  g_initialised = 1;
  finish();
}
