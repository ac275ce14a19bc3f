/* The one way out of the guest: a 32-bit OUT to a hyperlight port. */
#ifndef HYPERLIGHT_GUEST_PORTS_H
#define HYPERLIGHT_GUEST_PORTS_H

#include <stdint.h>

#include "hl_abi.h"

static inline void hlg_port_out(uint16_t port, uint32_t value) {
  __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

#endif
