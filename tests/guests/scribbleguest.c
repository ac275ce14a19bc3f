/* A guest that wrecks its own state, for the snapshot tests: it overwrites
 * every page it can write (heap, stack below its frame, both I/O buffers,
 * its own data and bss), loads random values into the FPU/SSE registers
 * and data segment registers, and then returns, faults, aborts or spins.
 * tests/unit/snapshot_exactness_test.cpp restores it and compares memory
 * and registers with the snapshot. */
#include <stdlib.h>
#include <string.h>

#include "hl_abi.h"
#include "hyperlight_guest.h"

extern const struct hl_peb *hlg_peb;

static uint64_t calls;              /* in .data after the first call */
static uint8_t scratch[256 * 1024]; /* .bss: 64 pages to ruin */
static uint64_t rng_state = 0x12345678abcdefull;

static uint64_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void fill(uint64_t begin, uint64_t end) {
  for (uint64_t p = begin & ~7ull; p + 8 <= end; p += 8) *(volatile uint64_t *)(uintptr_t)p = next_random();
}

/* Random XMM registers, MXCSR (exception masks kept, so nothing traps),
 * x87 control word and null data segments. */
static void ruin_registers(void) {
  uint64_t values[32];
  for (int i = 0; i < 32; i++) values[i] = next_random();
  __asm__ volatile(
      "movdqu 0(%0), %%xmm0\n movdqu 16(%0), %%xmm1\n movdqu 32(%0), %%xmm2\n movdqu 48(%0), %%xmm3\n"
      "movdqu 64(%0), %%xmm4\n movdqu 80(%0), %%xmm5\n movdqu 96(%0), %%xmm6\n movdqu 112(%0), %%xmm7\n"
      "movdqu 128(%0), %%xmm8\n movdqu 144(%0), %%xmm9\n movdqu 160(%0), %%xmm10\n movdqu 176(%0), %%xmm11\n"
      "movdqu 192(%0), %%xmm12\n movdqu 208(%0), %%xmm13\n movdqu 224(%0), %%xmm14\n movdqu 240(%0), %%xmm15\n"
      :
      : "r"(values)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "memory");
  uint32_t mxcsr = 0x1f80 | (uint32_t)(next_random() & 0x6000); /* rounding mode */
  __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
  uint16_t fcw = (uint16_t)(0x037f | (next_random() & 0x0c00));
  __asm__ volatile("fldcw %0" : : "m"(fcw));
  __asm__ volatile("fldpi\n fldln2\n fldlg2" ::: "memory");
  uint16_t null_selector = 0;
  __asm__ volatile("mov %0, %%ds\n mov %0, %%es\n mov %0, %%fs\n mov %0, %%gs" : : "r"(null_selector));
}

/* How: 0 return, 1 fault, 2 abort, 3 spin until the host stops it. */
static int32_t scribble(uint64_t seed, int32_t how) {
  rng_state = seed | 1;
  calls++;
  const struct hl_peb *peb = hlg_peb;
  uint64_t sp;
  __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
  fill(peb->heap, peb->heap + peb->heap_size);
  fill(peb->stack_top - peb->stack_size, sp - 512); /* everything below this frame */
  fill(peb->output_buffer, peb->output_buffer + peb->output_size);
  fill(peb->input_buffer + 4096, peb->input_buffer + peb->input_size); /* past the call message */
  fill((uint64_t)(uintptr_t)scratch, (uint64_t)(uintptr_t)scratch + sizeof scratch);
  ruin_registers();
  switch (how) {
    case 1: *(volatile int *)0 = 1; break;
    case 2: abort();
    case 3:
      for (;;) __asm__ volatile("pause");
  }
  return (int32_t)calls;
}
HLG_EXPORT_AS("Scribble", i32, scribble, u64, i32);

/* Writes one word in each of `pages` heap pages: a request with a known
 * number of dirty pages (benchmarks). Returns how many pages it wrote, which
 * is fewer than asked when the heap has fewer pages, so a benchmark can
 * check that its request fits. */
static int32_t touch_pages(int32_t pages) {
  const struct hl_peb *peb = hlg_peb;
  int32_t written = 0;
  for (; written < pages && (uint64_t)written * 4096 < peb->heap_size; written++)
    *(volatile uint64_t *)(uintptr_t)(peb->heap + (uint64_t)written * 4096) += 1;
  return written;
}
HLG_EXPORT_AS("TouchPages", i32, touch_pages, i32);

/* The length of its argument, without reading the bytes: the cost of
 * carrying an argument of a given size into the guest (benchmarks). */
static int32_t bytes_length(hlg_bytes data) { return (int32_t)data.len; }
HLG_EXPORT_AS("BytesLength", i32, bytes_length, bytes);

/* State the guest keeps between calls: restored, it counts from the
 * snapshot's value again. */
static int64_t count_calls(void) { return (int64_t)++calls; }
HLG_EXPORT_AS("CountCalls", i64, count_calls);

/* The low 64 bits of XMM0 and MXCSR as the guest sees them on entry: a
 * restored vCPU shows the snapshot's values, not the last request's. */
static uint64_t read_xmm0(void) {
  uint64_t v;
  __asm__ volatile("movq %%xmm0, %0" : "=r"(v));
  return v;
}
HLG_EXPORT_AS("ReadXmm0", u64, read_xmm0);

static uint32_t read_mxcsr(void) {
  uint32_t v;
  __asm__ volatile("stmxcsr %0" : "=m"(v));
  return v;
}
HLG_EXPORT_AS("ReadMxcsr", u32, read_mxcsr);

static int32_t add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
HLG_EXPORT_AS("Add", i32, add, i32, i32);

/* Leaves a value in XMM0 and a non-default MXCSR for the next call to see. */
static int32_t set_xmm0(uint64_t v) {
  __asm__ volatile("movq %0, %%xmm0" : : "r"(v) : "xmm0");
  uint32_t mxcsr = 0x7f80; /* round toward zero */
  __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
  return 0;
}
HLG_EXPORT_AS("SetXmm0", i32, set_xmm0, u64);
