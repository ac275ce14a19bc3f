/* The guest heap: malloc/calloc/realloc/free over the PEB's heap region.
 *
 * Boundary tags: every block starts with a 16-byte header holding its size
 * (bit 0 = in use) and the size of the block before it, so neighbours are
 * found in O(1) both ways and freed blocks coalesce at once. Free blocks
 * also hold the links of a doubly linked free list searched first-fit.
 * Payloads are 16-byte aligned. A zero-size end marker (always "in use")
 * closes the heap. Exhaustion aborts with HLG_ABORT_OUT_OF_MEMORY, except in
 * guests on musl (HLG_LIBC_MUSL, see exhausted()); freeing a pointer that
 * is not a live allocation aborts with HLG_ABORT_HEAP_CORRUPTION. */
#include <stdio.h>
#include <stdlib.h>
#ifdef HLG_LIBC_MUSL
#include <errno.h>
#endif

#include "runtime.h"

#define ALIGN 16u
#define HEADER 16u
#define MIN_BLOCK 32u /* header + the two free-list links */
#define USED 1u

struct block {
  size_t size;      /* total size including the header; bit 0 = USED */
  size_t prev_size; /* total size of the block just below (0 for the first) */
  /* Free blocks only: */
  struct block *next_free;
  struct block *prev_free;
};

static uint8_t *g_base; /* first block */
static uint8_t *g_end;  /* the end marker */
static struct block *g_free;
static size_t g_managed, g_free_bytes, g_allocations;

static size_t block_size(const struct block *b) { return b->size & ~(size_t)(ALIGN - 1); }
static int in_use(const struct block *b) { return (b->size & USED) != 0; }
static struct block *next_block(struct block *b) { return (struct block *)((uint8_t *)b + block_size(b)); }
static struct block *prev_block(struct block *b) {
  return b->prev_size ? (struct block *)((uint8_t *)b - b->prev_size) : 0;
}

static void list_insert(struct block *b) {
  b->prev_free = 0;
  b->next_free = g_free;
  if (g_free) g_free->prev_free = b;
  g_free = b;
}

static void list_remove(struct block *b) {
  if (b->prev_free)
    b->prev_free->next_free = b->next_free;
  else
    g_free = b->next_free;
  if (b->next_free) b->next_free->prev_free = b->prev_free;
}

void hlg__heap_init(uint64_t base, uint64_t size) {
  uintptr_t start = ((uintptr_t)base + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
  uintptr_t end = ((uintptr_t)base + (uintptr_t)size) & ~(uintptr_t)(ALIGN - 1);
  g_free = 0;
  g_free_bytes = g_allocations = g_managed = 0;
  if (end < start + MIN_BLOCK + HEADER) {
    g_base = g_end = 0;
    return;
  }
  g_base = (uint8_t *)start;
  g_end = (uint8_t *)(end - HEADER);
  struct block *first = (struct block *)g_base;
  first->size = (size_t)(g_end - g_base);
  first->prev_size = 0;
  struct block *marker = (struct block *)g_end;
  marker->size = USED;
  marker->prev_size = first->size;
  list_insert(first);
  g_managed = g_free_bytes = first->size;
}

/* Block size for a request, or 0 if it cannot be satisfied at all. */
static size_t needed_size(size_t n) {
  if (n > g_managed) return 0;
  size_t need = ((n + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + HEADER;
  return need < MIN_BLOCK ? MIN_BLOCK : need;
}

/* Marks b (free, off the list) as used with size need, splitting off the rest. */
static void take(struct block *b, size_t need) {
  size_t size = block_size(b);
  if (size - need >= MIN_BLOCK) {
    struct block *rest = (struct block *)((uint8_t *)b + need);
    rest->size = size - need;
    rest->prev_size = need;
    next_block(rest)->prev_size = rest->size;
    list_insert(rest);
    size = need;
  }
  b->size = size | USED;
  g_free_bytes -= size;
  g_allocations++;
}

static void *allocate(size_t n) {
  size_t need = needed_size(n ? n : 1);
  if (!need) return 0;
  for (struct block *b = g_free; b; b = b->next_free) {
    if (block_size(b) >= need) {
      list_remove(b);
      take(b, need);
      return (uint8_t *)b + HEADER;
    }
  }
  return 0;
}

static size_t largest_free(void) {
  size_t largest = 0;
  for (struct block *b = g_free; b; b = b->next_free)
    if (block_size(b) > largest) largest = block_size(b);
  return largest > HEADER ? largest - HEADER : 0;
}

__attribute__((noreturn)) static void out_of_memory(const char *what, size_t n) {
  hlg_abortf(HLG_ABORT_OUT_OF_MEMORY,
             "out of memory: %s(%zu) with %zu bytes free (largest free block %zu bytes, heap %zu bytes)", what, n,
             g_free_bytes, largest_free(), g_managed);
}

/* What malloc, calloc and realloc do when the heap cannot satisfy a
 * request. Guests on the SDK's own libc abort, so a forgotten NULL check
 * cannot go on with a NULL pointer. Guests on musl are third-party C code
 * that checks for NULL and recovers (Lua raises "not enough memory", a
 * JavaScript engine collects garbage and retries), so they get C's NULL
 * and ENOMEM. */
#ifdef HLG_LIBC_MUSL
static void *exhausted(const char *what, size_t n) {
  (void)what;
  (void)n;
  errno = ENOMEM;
  return 0;
}
#else
static void *exhausted(const char *what, size_t n) { out_of_memory(what, n); }
#endif

/* The block of a pointer malloc returned, or an abort naming the misuse. */
static struct block *checked_block(void *p, const char *what) {
  uint8_t *q = (uint8_t *)p;
  struct block *b = (struct block *)(q - HEADER);
  int ok = q >= g_base + HEADER && q < g_end && ((uintptr_t)q & (ALIGN - 1)) == 0;
  if (ok && !in_use(b)) hlg_abortf(HLG_ABORT_HEAP_CORRUPTION, "%s(%p): double free or not allocated", what, p);
  ok = ok && block_size(b) >= MIN_BLOCK && block_size(b) <= (size_t)(g_end - (uint8_t *)b) &&
       next_block(b)->prev_size == block_size(b) &&
       (b->prev_size == 0
            ? (uint8_t *)b == g_base
            : b->prev_size <= (size_t)((uint8_t *)b - g_base) && block_size(prev_block(b)) == b->prev_size);
  if (!ok) hlg_abortf(HLG_ABORT_HEAP_CORRUPTION, "%s(%p): not a pointer from malloc, or the heap is corrupt", what, p);
  return b;
}

/* Frees used block b and merges it with free neighbours. */
static void release(struct block *b) {
  size_t size = block_size(b);
  g_free_bytes += size;
  g_allocations--;
  b->size = size;
  struct block *next = next_block(b);
  if (!in_use(next)) {
    list_remove(next);
    b->size += block_size(next);
  }
  struct block *prev = prev_block(b);
  if (prev && !in_use(prev)) {
    list_remove(prev);
    prev->size += block_size(b);
    b = prev;
  }
  next_block(b)->prev_size = block_size(b);
  list_insert(b);
}

void *malloc(size_t n) {
  void *p = allocate(n);
  return p ? p : exhausted("malloc", n);
}

void *hlg_try_malloc(size_t n) { return allocate(n); }

void *calloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size) {
#ifdef HLG_LIBC_MUSL
    return exhausted("calloc", (size_t)-1);
#else
    hlg_abortf(HLG_ABORT_OUT_OF_MEMORY, "out of memory: calloc(%zu, %zu) overflows", count, size);
#endif
  }
  size_t n = count * size;
  void *p = allocate(n);
  if (!p) return exhausted("calloc", n);
  memset(p, 0, n);
  return p;
}

void free(void *p) {
  if (!p) return;
  release(checked_block(p, "free"));
}

void *realloc(void *p, size_t n) {
  if (!p) {
    p = allocate(n);
    return p ? p : exhausted("realloc", n);
  }
  struct block *b = checked_block(p, "realloc");
  if (n == 0) {
    release(b);
    return 0;
  }
  size_t need = needed_size(n);
  if (!need) return exhausted("realloc", n);
  size_t size = block_size(b);
  struct block *next = next_block(b);
  if (size < need && !in_use(next) && size + block_size(next) >= need) {
    /* Grow into the free block above. */
    list_remove(next);
    g_free_bytes -= block_size(next);
    size += block_size(next);
    b->size = size | USED;
    next_block(b)->prev_size = size;
  }
  if (size >= need) {
    if (size - need >= MIN_BLOCK) {
      /* Give the tail back (merging it with a free block above). */
      struct block *rest = (struct block *)((uint8_t *)b + need);
      rest->size = (size - need) | USED;
      rest->prev_size = need;
      b->size = need | USED;
      next_block(rest)->prev_size = block_size(rest);
      g_allocations++;
      release(rest);
    }
    return p;
  }
  void *q = allocate(n);
  if (!q) return exhausted("realloc", n); /* p stays valid */
  memcpy(q, p, size - HEADER);
  release(b);
  return q;
}

void hlg_heap_stats(struct hlg_heap_stats *stats) {
  if (!stats) return;
  stats->heap_size = g_managed;
  stats->free_bytes = g_free_bytes;
  stats->largest_free = largest_free();
  stats->allocations = g_allocations;
}

/* Scratch allocations: a list of malloc blocks freed when the call ends. */
struct scratch {
  struct scratch *next;
  size_t reserved; /* keeps the payload 16-byte aligned */
};
static struct scratch *g_scratch;

void *hlg_scratch_alloc(size_t n) {
  if (n > (size_t)-1 - sizeof(struct scratch)) out_of_memory("hlg_scratch_alloc", n);
  struct scratch *s = (struct scratch *)allocate(sizeof(struct scratch) + n);
  if (!s) out_of_memory("hlg_scratch_alloc", n);
  s->next = g_scratch;
  g_scratch = s;
  return s + 1;
}

char *hlg_scratch_strdup(const char *text) {
  if (!text) text = "";
  size_t n = strlen(text);
  char *p = (char *)hlg_scratch_alloc(n + 1);
  memcpy(p, text, n + 1);
  return p;
}

char *hlg_scratch_printf(const char *fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  int n = vsnprintf(0, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  char *p = (char *)hlg_scratch_alloc((size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, again);
  va_end(again);
  return p;
}

void hlg__scratch_free_all(void) {
  while (g_scratch) {
    struct scratch *s = g_scratch;
    g_scratch = s->next;
    free(s);
  }
}
