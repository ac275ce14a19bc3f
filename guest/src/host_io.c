/* Guest -> host requests: host calls, prints and aborts. */
#include "ports.h"
#include "runtime.h"

static const char *g_last_host_error = "";

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

void hlg_print(const char *text) {
  hl_wire_writer w;
  uint32_t len = (uint32_t)strlen(text);
  uint32_t room = hlg_output_size() > 64 ? hlg_output_size() - 64 : 0;
  hl_wire_begin(&w, hlg_output_buffer(), hlg_output_size(), HL_MSG_PRINT);
  hl_wire_put_str(&w, text, len < room ? len : room); /* long text is cut, not lost entirely */
  if (hl_wire_end(&w)) hlg_port_out(HL_PORT_PRINT, 0);
}

void hlg_abort(uint32_t code, const char *message) {
  hlg_write_error(code, message ? message : "");
  for (;;) hlg_port_out(HL_PORT_ABORT, code);
}
