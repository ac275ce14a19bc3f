/* hyperlight guest libc: <stdlib.h>.
 *
 * The allocator never returns NULL for lack of memory: it aborts the guest
 * with HLG_ABORT_OUT_OF_MEMORY and "out of memory: malloc(N) with X bytes
 * free ...". Use hlg_try_malloc (hyperlight_guest.h) to get NULL instead.
 * malloc(0) returns a unique pointer; realloc(p, 0) frees p and returns
 * NULL. free/realloc of anything else than a live allocation aborts with
 * HLG_ABORT_HEAP_CORRUPTION. */
#ifndef HYPERLIGHT_GUEST_STDLIB_H
#define HYPERLIGHT_GUEST_STDLIB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

/* Aborts the sandbox with HLG_ABORT_ABORT. */
__attribute__((noreturn)) void abort(void);

int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);
/* Saturate on overflow (there is no errno). */
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);

int abs(int v);
long labs(long v);
long long llabs(long long v);

/* Heapsort: not stable, O(n log n), no allocation. */
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t count, size_t size, int (*compare)(const void *, const void *));

#ifdef __cplusplus
}
#endif

#endif
