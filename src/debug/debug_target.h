// The stopped guest as the gdb stub sees it. The sandbox implements it over
// its vCPU and memory for the length of one stop (src/sandbox/debug_stops.cpp):
// where registers live differs between a stop inside the exception stub
// (the CPU's frame on the exception stack) and one at a ring-3 instruction.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "debug/auxv.h"
#include "debug/x86_registers.h"

namespace hl::debug {

class DebugTarget {
 public:
  virtual ~DebugTarget() = default;
  virtual X86Registers registers() = 0;
  // False when the change is one the sandbox refuses (segment selectors,
  // fs/gs bases, privileged RFLAGS bits): the guest stays in ring 3.
  virtual bool set_registers(const X86Registers &registers) = 0;
  // Guest virtual addresses, translated through the guest's page tables.
  // False when any byte is not mapped (nothing is written then). Writes
  // reach only pages the guest itself may read: the host-owned ones (page
  // tables, IDT, exception stub) are out of a debugger's reach too.
  virtual bool read_memory(uint64_t address, std::span<uint8_t> out) = 0;
  virtual bool write_memory(uint64_t address, std::span<const uint8_t> bytes) = 0;
  // The auxiliary vector of the static-PIE guest (qXfer:auxv:read).
  virtual Auxv auxv() = 0;
  // Where the guest's image was loaded: what gdb adds to the ELF's
  // addresses (qOffsets).
  virtual uint64_t load_offset() = 0;
};

}  // namespace hl::debug
