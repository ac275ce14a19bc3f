/* Guest entry and call dispatch.
 *
 * The host starts the vCPU at hl_guest_entry once; it runs hyperlight_main()
 * and reports READY with the address of hlg_dispatch. For every call the
 * host points RIP at hlg_dispatch with a fresh stack; dispatch decodes the
 * CALL from the input buffer, runs the function and reports DONE. */
#include "ports.h"
#include "runtime.h"

const struct hl_peb *hlg_peb;
uint32_t hlg_reply_offset;
static uint64_t g_seed;

struct guest_function {
  const char *name;
  uint32_t name_len;
  hlg_function fn;
  uint8_t return_kind;
  uint8_t nparams;
  uint8_t params[HL_WIRE_MAX_ARGS];
};

static struct guest_function g_functions[HLG_MAX_FUNCTIONS];
static uint32_t g_function_count;
static char g_error_message[256];
static int g_error_message_set;

/* Appends s (at most n bytes) to the bounded text buffer buf. */
static void text_append(char *buf, uint32_t cap, uint32_t *pos, const char *s, uint32_t n) {
  for (uint32_t i = 0; i < n && s[i] && *pos + 1 < cap; i++) buf[(*pos)++] = s[i];
  buf[*pos] = 0;
}

static void text_append_uint(char *buf, uint32_t cap, uint32_t *pos, uint32_t v) {
  char digits[11];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) {
    char c[2] = {digits[--n], 0};
    text_append(buf, cap, pos, c, 1);
  }
}

static const char *kind_name(uint8_t kind) {
  static const char *const names[] = {"void", "i32", "u32", "i64", "u64", "f32", "f64", "bool", "string", "bytes"};
  return kind < HL_WIRE_KIND_COUNT ? names[kind] : "unknown";
}

uint64_t hlg_random_seed(void) { return g_seed; }

hlg_val hlg_string(const char *text) { return hlg_string_n(text, (uint32_t)strlen(text)); }

uint32_t hlg_register(const char *name, hlg_function fn, uint8_t return_kind, uint32_t nparams,
                      const uint8_t *param_kinds) {
  size_t len = name ? strlen(name) : 0;
  if (!fn || len == 0 || len > HL_WIRE_MAX_NAME || nparams > HL_WIRE_MAX_ARGS || return_kind >= HL_WIRE_KIND_COUNT ||
      g_function_count == HLG_MAX_FUNCTIONS)
    return HLG_ERROR_INVALID_ARGUMENT;
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

uint32_t hlg_error(uint32_t code, const char *message) {
  uint32_t pos = 0;
  g_error_message[0] = 0;
  if (message) text_append(g_error_message, sizeof g_error_message, &pos, message, 0xffffffffu);
  g_error_message_set = 1;
  return code;
}

void hlg_write_error(uint32_t code, const char *text) {
  hl_wire_writer w;
  hl_wire_begin(&w, hlg_output_buffer(), hlg_output_size(), HL_MSG_ERROR);
  hl_wire_put_u32(&w, code);
  hl_wire_put_str(&w, text, (uint32_t)strlen(text));
  hl_wire_end(&w);
}

__attribute__((noreturn)) static void finish(void) {
  for (;;) hlg_port_out(HL_PORT_DONE, 0);
}

__attribute__((noreturn)) static void finish_with_error(uint32_t code, const char *text) {
  hlg_write_error(code, text);
  finish();
}

static const struct guest_function *find_function(const uint8_t *name, uint32_t len) {
  for (uint32_t i = 0; i < g_function_count; i++)
    if (g_functions[i].name_len == len && memcmp(g_functions[i].name, name, len) == 0) return &g_functions[i];
  return 0;
}

__attribute__((noreturn)) void hlg_dispatch(void) {
  char msg[320];
  uint32_t pos = 0;
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

  const struct guest_function *f = find_function(name, name_len);
  if (!f) {
    text_append(msg, sizeof msg, &pos, "no guest function named '", 0xffffffffu);
    text_append(msg, sizeof msg, &pos, (const char *)name, name_len);
    text_append(msg, sizeof msg, &pos, "'", 1);
    finish_with_error(HLG_ERROR_GUEST_FUNCTION_NOT_FOUND, msg);
  }
  if (nargs != f->nparams) {
    text_append(msg, sizeof msg, &pos, "takes ", 6);
    text_append_uint(msg, sizeof msg, &pos, f->nparams);
    text_append(msg, sizeof msg, &pos, " arguments, got ", 0xffffffffu);
    text_append_uint(msg, sizeof msg, &pos, nargs);
    finish_with_error(HLG_ERROR_PARAMETER_COUNT_MISMATCH, msg);
  }
  for (uint8_t i = 0; i < nargs; i++) {
    if (args[i].kind != f->params[i]) {
      text_append(msg, sizeof msg, &pos, "parameter ", 0xffffffffu);
      text_append_uint(msg, sizeof msg, &pos, i);
      text_append(msg, sizeof msg, &pos, " expects ", 0xffffffffu);
      text_append(msg, sizeof msg, &pos, kind_name(f->params[i]), 0xffffffffu);
      text_append(msg, sizeof msg, &pos, ", got ", 0xffffffffu);
      text_append(msg, sizeof msg, &pos, kind_name(args[i].kind), 0xffffffffu);
      finish_with_error(HLG_ERROR_PARAMETER_TYPE_MISMATCH, msg);
    }
  }

  g_error_message_set = 0;
  hlg_val result = hlg_void();
  uint32_t status = f->fn(args, nargs, &result);
  if (status != HLG_OK) {
    if (g_error_message_set) finish_with_error(status, g_error_message);
    const char *host_error = hlg_last_host_error();
    finish_with_error(status, host_error[0] ? host_error : "guest function returned an error");
  }
  if (result.kind != f->return_kind) {
    text_append(msg, sizeof msg, &pos, "returned ", 0xffffffffu);
    text_append(msg, sizeof msg, &pos, kind_name(result.kind), 0xffffffffu);
    text_append(msg, sizeof msg, &pos, " but is registered to return ", 0xffffffffu);
    text_append(msg, sizeof msg, &pos, kind_name(f->return_kind), 0xffffffffu);
    finish_with_error(HLG_ERROR_GUEST_ERROR, msg);
  }
  hl_wire_writer w;
  hl_wire_begin(&w, hlg_output_buffer(), hlg_output_size(), HL_MSG_RESULT);
  hl_wire_put_val(&w, &result);
  if (!hl_wire_end(&w)) finish_with_error(HLG_ERROR_TOO_LARGE, "the result does not fit in the output buffer");
  finish();
}

__attribute__((noreturn)) void hl_guest_entry(const struct hl_peb *peb, uint64_t seed, uint64_t page_size,
                                              uint64_t max_log_level) {
  (void)page_size;
  (void)max_log_level;
  hlg_peb = peb;
  g_seed = seed;
  hlg_reply_offset = 0;
  if (peb->magic != HL_PEB_MAGIC) hlg_abort(1, "bad PEB magic");
  hyperlight_main();
  hl_wire_writer w;
  hl_wire_begin(&w, hlg_output_buffer(), hlg_output_size(), HL_MSG_READY);
  hl_wire_put_u32(&w, HL_ABI_VERSION);
  hl_wire_put_u64(&w, (uint64_t)(uintptr_t)&hlg_dispatch);
  hl_wire_end(&w);
  finish();
}
