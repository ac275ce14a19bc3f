/* hlg_abort: the last resort, safe with a broken stack or heap.
 *
 * The entry stub switches to a static stack before any C runs (the guest's
 * RSP may point anywhere; a `jmp hlg_abort` with garbage in RSP still
 * reports), clears the direction flag, and calls abort_on_stack, which
 * writes ERROR(code, message) into the output buffer and exits on ABORT.
 * It uses neither the heap nor the guest's stack. */
#include <stdio.h>

#include "ports.h"
#include "runtime.h"

#define ABORT_STACK_SIZE 4096
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define TRUNCATION_MARKER "...[truncated]"

uint8_t hlg__abort_stack[ABORT_STACK_SIZE] __attribute__((aligned(16)));

__attribute__((noreturn, used)) void hlg__abort_on_stack(uint32_t code, const char *message) {
  static const char marker[] = TRUNCATION_MARKER;
  const uint32_t marker_len = sizeof marker - 1;
  if (!message) message = "";
  /* Never read more than the limit (+1 to know it was exceeded). */
  uint32_t len = (uint32_t)strnlen(message, HL_MAX_ABORT_MESSAGE + 1);
  uint32_t cap = hlg_output_size();
  uint32_t limit = HL_MAX_ABORT_MESSAGE;
  if (cap < limit + 32) limit = cap > 32 + marker_len ? cap - 32 : 0; /* header, code, length, NUL */
  hl_wire_writer w;
  hl_wire_begin(&w, hlg_output_buffer(), cap, HL_MSG_ERROR);
  hl_wire_put_u32(&w, code);
  if (len <= limit) {
    hl_wire_put_str(&w, message, len);
  } else {
    /* str = u32 len | bytes | NUL, written in two pieces: the kept prefix, then the marker. */
    uint32_t keep = limit - marker_len;
    hl_wire_put_u32(&w, limit);
    uint32_t at = w.pos;
    if (!w.failed && at + limit + 1 <= cap) {
      uint8_t *out = hlg_output_buffer();
      memmove(out + at, message, keep);                /* hlg_abortf's text is in the output buffer too */
      memcpy(out + at + keep, marker, marker_len + 1); /* with the NUL */
      w.pos = at + limit + 1;
      w.needed = w.pos;
    } else {
      w.failed = 1;
    }
  }
  if (!hl_wire_end(&w)) {
    hl_wire_begin(&w, hlg_output_buffer(), cap, HL_MSG_ERROR);
    hl_wire_put_u32(&w, code);
    hl_wire_put_str(&w, "", 0);
    hl_wire_end(&w);
  }
  for (;;) hlg_port_out(HL_PORT_ABORT, code);
}

/* void hlg_abort(uint32_t code, const char *message): edi = code, rsi = message. */
__asm__(
    ".text\n"
    ".globl hlg_abort\n"
    ".hidden hlg_abort\n"
    ".type hlg_abort, @function\n"
    "hlg_abort:\n"
    "  leaq hlg__abort_stack+" STRINGIFY(ABORT_STACK_SIZE) "(%rip), %rsp\n"
    "  xorl %ebp, %ebp\n"
    "  cld\n"
    "  call hlg__abort_on_stack\n"
    "  ud2\n"
    ".size hlg_abort, .-hlg_abort\n");

/* Formats into the output buffer, past where the ERROR header will go (the
 * copy in abort_on_stack runs forwards, towards lower addresses, so the
 * overlap is safe), with one byte more than the limit so that an over-long
 * text is seen as such and marked. */
void hlg_abortf(uint32_t code, const char *fmt, ...) {
  const uint32_t at = 64;
  uint32_t cap = hlg_output_size();
  size_t room = cap > at ? cap - at : 0;
  if (room > HL_MAX_ABORT_MESSAGE + 2) room = HL_MAX_ABORT_MESSAGE + 2;
  char *text = (char *)hlg_output_buffer() + at;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, room, fmt ? fmt : "", ap);
  va_end(ap);
  hlg_abort(code, room ? text : "");
}

/* <stdlib.h> abort() and <assert.h>'s failure path. */
void abort(void) { hlg_abort(HLG_ABORT_ABORT, "abort() called"); }

void hlg__assert_fail(const char *expr, const char *file, unsigned line, const char *func) {
  hlg_abortf(HLG_ABORT_ASSERTION, "assertion failed: %s (%s:%u, in %s)", expr, file, line, func);
}
