/* The fixed host <-> guest ABI: ports, the PEB and entry registers.
 *
 * Plain C, shared by the host library and the freestanding guest runtime.
 * docs/abi.md explains the protocol; bump HL_ABI_VERSION on any change. */
#ifndef HYPERLIGHT_WIRE_HL_ABI_H
#define HYPERLIGHT_WIRE_HL_ABI_H

#include <stdint.h>

#define HL_ABI_VERSION 3u

/* Ports the guest `out`s to (32-bit OUT, one element). Only these are open in
 * the TSS I/O-permission bitmap; any other port from ring 3 raises #GP. */
#define HL_PORT_DONE 0x60u      /* init or call finished; output buffer holds READY/RESULT/ERROR */
#define HL_PORT_CALL_HOST 0x61u /* output buffer holds a CALL; reply goes to the input buffer */
#define HL_PORT_PRINT 0x62u     /* output buffer holds a PRINT message */
#define HL_PORT_ABORT 0x63u     /* eax = abort code; output buffer may hold an ERROR with the text */
#define HL_PORT_LOG 0x64u       /* output buffer holds a LOG record */
#define HL_PORT_FIRST_GUEST HL_PORT_DONE
#define HL_PORT_LAST_GUEST HL_PORT_LOG
/* Used only by the ring-0 exception stub (8-bit OUT, al = vector). Closed to
 * ring 3 by the I/O bitmap, so a guest cannot fake an exception report. */
#define HL_PORT_EXCEPTION 0x70u

#define HL_PEB_MAGIC 0x3142455048594c48ull /* "HLYPHEB1" little-endian */

/* Process environment block: written by the host before the guest starts,
 * read-only to the guest (its page has no write permission for ring 3). */
struct hl_peb {
  uint64_t magic;
  uint32_t abi_version;
  uint32_t reserved0;
  uint64_t memory_size;  /* total guest-physical memory */
  uint64_t input_buffer; /* guest address of the host -> guest buffer */
  uint64_t input_size;
  uint64_t output_buffer; /* guest address of the guest -> host buffer */
  uint64_t output_size;
  uint64_t heap;
  uint64_t heap_size;
  uint64_t stack_top;
  uint64_t stack_size;
  uint64_t init_data; /* guest address of the init-data blob (0 if none) */
  uint64_t init_data_size;
  /* The guest counter: written only by the host (hl_sandbox_counter_*);
   * the page is read-only to the guest. */
  volatile uint64_t counter;
  /* A restore's x87/SSE state, loaded by the guest instead of by a vCPU
   * ioctl: after a restore the host writes the snapshot's state to
   * fpu_image (FXSAVE format) and sets fpu_restore to 1; the guest's call
   * entry (the READY dispatch address) loads it with FXRSTOR before any
   * other instruction, and the host sets fpu_restore back to 0 at the
   * call's first exit. The guest can change neither (the page is
   * read-only to it), so a restored guest, whose code is the snapshot's,
   * always starts from the snapshot's registers. */
  volatile uint32_t fpu_restore;
  uint32_t reserved1;
  uint64_t reserved2;
  uint8_t fpu_image[512]; /* 16-byte aligned (FXRSTOR) */
};

/* Offsets in struct hl_peb for the guest's entry code (plain numbers:
 * the assembler reads them); both sides check them against offsetof. */
#define HL_PEB_FPU_RESTORE_OFFSET 112
#define HL_PEB_FPU_IMAGE_OFFSET 128

/* Entry registers: RDI = PEB address, RSI = random seed, RDX = page size,
 * RCX = max log level (HL_LOG_LEVEL_*: records above it are never sent).
 * RSP = stack top - 8 (ABI alignment of a call). */

/* Log levels, as in the C ABI's HL_LOG_*. */
#define HL_LOG_LEVEL_OFF 0u
#define HL_LOG_LEVEL_ERROR 1u
#define HL_LOG_LEVEL_WARN 2u
#define HL_LOG_LEVEL_INFO 3u
#define HL_LOG_LEVEL_DEBUG 4u
#define HL_LOG_LEVEL_TRACE 5u

/* Longest abort message the host reports; longer ones end in a marker. */
#define HL_MAX_ABORT_MESSAGE 4096u

#endif
