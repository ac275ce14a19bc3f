/* State shared by the runtime's files (not part of the SDK). */
#ifndef HYPERLIGHT_GUEST_RUNTIME_H
#define HYPERLIGHT_GUEST_RUNTIME_H

#include <stdint.h>

#include "hl_abi.h"
#include "hyperlight_guest.h"

extern const struct hl_peb *hlg_peb;
/* Offset in the input buffer where the host writes host-call replies:
 * just past the current call message (0 during initialisation). */
extern uint32_t hlg_reply_offset;

static inline uint8_t *hlg_input_buffer(void) { return (uint8_t *)(uintptr_t)hlg_peb->input_buffer; }
static inline uint8_t *hlg_output_buffer(void) { return (uint8_t *)(uintptr_t)hlg_peb->output_buffer; }
static inline uint32_t hlg_input_size(void) { return (uint32_t)hlg_peb->input_size; }
static inline uint32_t hlg_output_size(void) { return (uint32_t)hlg_peb->output_size; }

/* Writes an ERROR message (code + text) to the output buffer. */
void hlg_write_error(uint32_t code, const char *text);

#endif
