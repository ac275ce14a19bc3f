/* Guest -> host requests: host calls and prints. */
#include <stdio.h>

#include "ports.h"
#include "runtime.h"

static const char *g_last_host_error = "";
static char g_mismatch_message[320];

const char *hlg_last_host_error(void) { return g_last_host_error; }

uint32_t hlg_call_host(const char *name, const hlg_val *args, uint32_t nargs, hlg_val *result) {
  g_last_host_error = "";
  if (!name || nargs > HL_WIRE_MAX_ARGS || (nargs && !args) || !result) {
    g_last_host_error = "hlg_call_host: invalid arguments";
    return HLG_ERROR_INVALID_ARGUMENT;
  }
  hl_wire_writer w;
  hl_wire_begin(&w, hlg_output_buffer(), hlg_output_size(), HL_MSG_CALL);
  hl_wire_put_str(&w, name, (uint32_t)strlen(name));
  hl_wire_put_u8(&w, (uint8_t)nargs);
  for (uint32_t i = 0; i < nargs; i++) hl_wire_put_val(&w, &args[i]);
  if (!hl_wire_end(&w)) {
    g_last_host_error = "host call does not fit in the output buffer";
    return HLG_ERROR_TOO_LARGE;
  }
  hlg_port_out(HL_PORT_CALL_HOST, 0);

  hl_wire_reader r;
  uint8_t type = hl_wire_open(&r, hlg_input_buffer() + hlg_reply_offset, hlg_input_size() - hlg_reply_offset);
  if (type == HL_MSG_RESULT && hl_wire_get_val(&r, result) && hl_wire_done(&r)) return HLG_OK;
  if (type == HL_MSG_ERROR) {
    uint32_t code = hl_wire_get_u32(&r);
    const uint8_t *msg = 0;
    uint32_t len = 0;
    if (hl_wire_get_str(&r, &msg, &len) && code != 0) {
      g_last_host_error = (const char *)msg; /* NUL-terminated by the codec */
      return code;
    }
  }
  g_last_host_error = "malformed reply from the host";
  return HLG_ERROR_HOST_FUNCTION_FAILED;
}

uint32_t hlg_call_host_typed(const char *name, uint8_t return_kind, void *out, const hlg_val *args, uint32_t nargs) {
  hlg_val r;
  uint32_t status = hlg_call_host(name, args, nargs, &r);
  if (status != HLG_OK) return status;
  if (r.kind != return_kind) {
    snprintf(g_mismatch_message, sizeof g_mismatch_message, "host function '%s' returned %s, expected %s", name,
             hlg__kind_name(r.kind), hlg__kind_name(return_kind));
    g_last_host_error = g_mismatch_message;
    return HLG_ERROR_PARAMETER_TYPE_MISMATCH;
  }
  if (!out) return HLG_OK;
  switch (r.kind) {
    case HLG_I32: *(int32_t *)out = r.of.i32; break;
    case HLG_U32: *(uint32_t *)out = r.of.u32; break;
    case HLG_I64: *(int64_t *)out = r.of.i64; break;
    case HLG_U64: *(uint64_t *)out = r.of.u64; break;
    case HLG_F32: *(float *)out = r.of.f32; break;
    case HLG_F64: *(double *)out = r.of.f64; break;
    case HLG_BOOL: *(bool *)out = r.of.boolean != 0; break;
    case HLG_STRING: *(const char **)out = (const char *)r.of.buf.ptr; break;
    case HLG_BYTES: *(hlg_bytes *)out = hlg__bytes_arg(&r); break;
    default: break;
  }
  return HLG_OK;
}

void hlg_print_n(const char *text, size_t len) {
  uint32_t cap = hlg_output_size();
  uint32_t room = cap > 64 ? cap - 64 : 1; /* header, length, NUL */
  while (len) {
    uint32_t n = len < room ? (uint32_t)len : room;
    hl_wire_writer w;
    hl_wire_begin(&w, hlg_output_buffer(), cap, HL_MSG_PRINT);
    hl_wire_put_str(&w, text, n);
    if (!hl_wire_end(&w)) return;
    hlg_port_out(HL_PORT_PRINT, 0);
    text += n;
    len -= n;
  }
}

void hlg_print(const char *text) {
  if (text) hlg_print_n(text, strlen(text));
}
