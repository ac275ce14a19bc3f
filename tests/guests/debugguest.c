/* Test guest for the gdb stub and crash dumps (tests/debugging): plain C
 * built with -O0 -g, so every local lives on the stack and every line is a
 * place gdb can stop. The line-number comments (tag: ...) are what the gdb
 * scenarios look for; keep them when editing. */
#include <stddef.h>

#include "hyperlight_guest.h"

/* ---- stepping, locals, finish, set var ---- */

static int scale(int x) {
  int doubled = x * 2;      /* tag: scale-doubled */
  int result = doubled + 1; /* tag: scale-result */
  return result;            /* tag: scale-return */
}

static int32_t compute(int32_t a, int32_t b) {
  int32_t sum = a + b;         /* tag: compute-sum */
  int32_t scaled = scale(sum); /* tag: compute-call */
  return scaled;               /* tag: compute-return */
}
HLG_EXPORT_AS("Compute", i32, compute, i32, i32);

/* ---- Ctrl-C: spins until a debugger clears spinning ---- */

volatile int spinning = 1;
volatile uint64_t spin_count;

static int32_t spin(void) {
  while (spinning) spin_count++; /* tag: spin-loop */
  return 7;
}
HLG_EXPORT_AS("Spin", i32, spin);

/* ---- faults ---- */

static void write_null(void) {
  volatile int *p = NULL;
  *p = 1; /* tag: write-null */
}
HLG_EXPORT_AS("WriteNull", void, write_null);

/* Endless recursion with a big frame: the stack's guard page stops it
 * (overflow_limit is never reached; it only keeps gcc from refusing). */
volatile int32_t overflow_limit = -1;

static int32_t overflow(int32_t depth) {
  volatile char frame[4096];
  if (depth == overflow_limit) return 0;
  frame[0] = (char)depth;
  return overflow(depth + 1) + frame[0]; /* tag: overflow-recurse */
}
HLG_EXPORT_AS("Overflow", i32, overflow, i32);

/* ---- watchpoints ---- */

volatile int32_t watched_value;

static int32_t watched(int32_t n) {
  watched_value = n;                 /* tag: watched-first */
  watched_value = n + 1;             /* tag: watched-second */
  watched_value = watched_value * 2; /* tag: watched-third */
  return watched_value;
}
HLG_EXPORT_AS("Watched", i32, watched, i32);
