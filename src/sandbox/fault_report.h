// Turns a guest page fault into the error a user can act on: a stack
// overflow (the guard page below the stack), or a memory access violation
// naming the address, the attempted access and the region with its flags.
// Pure logic, unit-tested in tests/unit/fault_report_test.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/api_types.h"
#include "mem/layout.h"

namespace hl {

struct FaultReport {
  ErrorCode code;
  std::string message;
};

// regions: every mapped region of the sandbox (image segments included).
// error_code: the #PF error code pushed by the CPU.
FaultReport describe_page_fault(const mem::Layout &layout, std::span<const mem::Region> regions, uint64_t address,
                                uint64_t error_code, uint64_t rip);

// "READ", "WRITE" or "EXECUTE" for a #PF error code.
const char *attempted_access(uint64_t error_code);

// "RW- user", "R-X user", "R-- supervisor", ...
std::string region_flags(const mem::PagePermissions &p);

}  // namespace hl
