/* State shared by the runtime's files (not part of the SDK). */
#ifndef HYPERLIGHT_GUEST_RUNTIME_H
#define HYPERLIGHT_GUEST_RUNTIME_H

#include <stdarg.h>
#include <stdint.h>

#include "hl_abi.h"
#include "hyperlight_guest.h"

extern const struct hl_peb *hlg_peb;
/* Offset in the input buffer where the host writes host-call replies:
 * just past the current call message (0 during initialisation). */
extern uint32_t hlg_reply_offset;

static inline uint8_t *hlg_input_buffer(void) { return (uint8_t *)(uintptr_t)hlg_peb->input_buffer; }
static inline uint8_t *hlg_output_buffer(void) { return (uint8_t *)(uintptr_t)hlg_peb->output_buffer; }
static inline uint32_t hlg_input_size(void) {
  return hlg_peb->input_size > 0xffffffffu ? 0xffffffffu : (uint32_t)hlg_peb->input_size;
}
static inline uint32_t hlg_output_size(void) {
  return hlg_peb->output_size > 0xffffffffu ? 0xffffffffu : (uint32_t)hlg_peb->output_size;
}

/* Writes an ERROR message (code + text) to the output buffer, cutting text
 * to fit. */
void hlg__write_error(uint32_t code, const char *text, uint32_t len);

/* Kind name for messages ("i32", ...). */
const char *hlg__kind_name(uint8_t kind);

/* malloc.c */
void hlg__heap_init(uint64_t base, uint64_t size);
void hlg__scratch_free_all(void);

/* The C library's (guest/libc or guest/musl): writes what stdout and stderr
 * hold back to the host's print path. Called when a call or the
 * initialisation ends, before its result is written to the output buffer
 * (a print reuses that buffer). */
void hlg__flush_stdio(void);

/* log.c */
void hlg__set_max_log_level(uint64_t level);

/* printf.c: the formatting core behind every printf-like function. */
struct hlg__sink {
  char *buf;
  size_t cap;                         /* bytes buf can hold */
  size_t pos;                         /* bytes in buf */
  size_t total;                       /* bytes produced so far (also those dropped or flushed) */
  void (*flush)(struct hlg__sink *s); /* empties buf (pos = 0); NULL drops what does not fit */
};
void hlg__format(struct hlg__sink *s, const char *fmt, va_list ap);

#endif
