/* The platform hooks duk_config_hyperlight.h names: time, randomness, the
 * native stack check and the fatal-error handler, plus the allocator
 * functions handed to duk_create_heap. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "hyperlight_guest.h"
#include "js_guest.h"

/* Bytes of stack kept free below any native call Duktape makes. It must hold
 * the deepest stretch that runs without a check: compiling the most deeply
 * nested source DUK_USE_COMPILER_RECLIMIT allows (about 90 KiB), plus a mark
 * and sweep and the creation of the RangeError itself. Measured: 96 KiB is
 * enough and 64 KiB is not (tests/integration/js_guest_test.cpp compiles the
 * worst sources at every depth of a native recursion). The rest of the stack
 * is for native recursion: about 110 levels with the default 256 KiB, one
 * more per further KiB. A stack below about 160 KiB leaves none. */
#define NATIVE_STACK_RESERVE (128u * 1024u)

static uint64_t g_random_state;
static uint64_t g_alloc_failures;

/* No clock in a guest: Date.now() is the epoch. A script that needs the time
 * asks the host (host.call). */
double hljs_date_now(void) { return 0.0; }

/* SplitMix64, seeded once from the host's seed (a sandbox made from a
 * snapshot continues the snapshot's sequence). */
double hljs_random_double(void *heap_udata) {
  (void)heap_udata;
  uint64_t z = (g_random_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

void hljs_seed_random(uint64_t seed) { g_random_state = seed; }

int hljs_native_stack_low(void) { return hlg_stack_left() < NATIVE_STACK_RESERVE; }

void hljs_fatal(void *udata, const char *msg) {
  (void)udata;
  hlg_abortf(HLJS_ABORT_FATAL, "duktape: fatal error: %s", msg ? msg : "(no message)");
}

/* The guest heap's malloc and realloc return NULL when it is exhausted (in
 * guests on musl; guest/musl). Duktape then collects garbage, retries and
 * throws "alloc failed"; the failures are counted so an error that could not
 * even be created is still reported as exhaustion. */
void *hljs_alloc(void *udata, size_t size) {
  (void)udata;
  void *p = malloc(size);
  if (!p) g_alloc_failures++;
  return p;
}

void *hljs_realloc(void *udata, void *ptr, size_t size) {
  (void)udata;
  void *p = realloc(ptr, size);
  if (!p && size) g_alloc_failures++;
  return p;
}

void hljs_free(void *udata, void *ptr) {
  (void)udata;
  free(ptr);
}

uint64_t hljs_alloc_failures(void) { return g_alloc_failures; }
