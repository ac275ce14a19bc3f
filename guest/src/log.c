/* Guest logging: LOG(level, line, file, message) records on port LOG.
 *
 * The host passes the most verbose level it wants in RCX at entry; records
 * above it return before any formatting and cost no VM exit. The message is
 * formatted straight into the output buffer (no heap, no big stack buffer). */
#include <stdio.h>

#include "ports.h"
#include "runtime.h"

#define TRUNCATION_MARKER "...[truncated]"
#define MAX_FILE_NAME 1024u

static uint32_t g_max_log_level;

void hlg__set_max_log_level(uint64_t level) {
  g_max_log_level = level > HLG_LEVEL_TRACE ? HLG_LEVEL_TRACE : (uint32_t)level;
}

uint32_t hlg_max_log_level(void) { return g_max_log_level; }

bool hlg_log_enabled(uint32_t level) { return level != HLG_LEVEL_OFF && level <= g_max_log_level; }

static void put_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void hlg_vlog(uint32_t level, const char *file, uint32_t line, const char *fmt, va_list ap) {
  if (!hlg_log_enabled(level)) return;
  if (!file) file = "";
  if (!fmt) fmt = "";
  uint8_t *out = hlg_output_buffer();
  uint32_t cap = hlg_output_size();
  hl_wire_writer w;
  hl_wire_begin(&w, out, cap, HL_MSG_LOG);
  hl_wire_put_u8(&w, (uint8_t)level);
  hl_wire_put_u32(&w, line);
  hl_wire_put_str(&w, file, (uint32_t)strnlen(file, MAX_FILE_NAME));
  /* message = u32 len | text | NUL, formatted in place after the length. */
  uint32_t len_at = w.pos;
  uint32_t text_at = len_at + 4;
  if (w.failed || text_at + 1 > cap) return;
  uint32_t room = cap - text_at - 1;
  int n = vsnprintf((char *)out + text_at, (size_t)room + 1, fmt, ap);
  uint32_t len = n < 0 ? 0 : (uint32_t)n;
  if (len > room) {
    len = room;
    const uint32_t marker_len = sizeof TRUNCATION_MARKER - 1;
    if (room >= marker_len) memcpy(out + text_at + room - marker_len, TRUNCATION_MARKER, marker_len);
  }
  out[text_at + len] = 0;
  put_le32(out + len_at, len);
  put_le32(out, text_at + len + 1); /* total_len */
  hlg_port_out(HL_PORT_LOG, 0);
}

void hlg_log(uint32_t level, const char *file, uint32_t line, const char *fmt, ...) {
  if (!hlg_log_enabled(level)) return;
  va_list ap;
  va_start(ap, fmt);
  hlg_vlog(level, file, line, fmt, ap);
  va_end(ap);
}
