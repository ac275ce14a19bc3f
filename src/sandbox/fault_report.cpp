#include "sandbox/fault_report.h"

#include "common/error.h"

namespace hl {
namespace {

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

bool within(uint64_t address, uint64_t base, uint64_t size) { return address >= base && address - base < size; }

}  // namespace

const char *attempted_access(uint64_t error_code) {
  if (error_code & 0x10) return "EXECUTE";
  return (error_code & 0x2) ? "WRITE" : "READ";
}

std::string region_flags(const mem::PagePermissions &p) {
  std::string f = "R";
  f += p.writable ? "W" : "-";
  f += p.executable ? "X" : "-";
  return f + (p.user ? " user" : " supervisor");
}

FaultReport describe_page_fault(const mem::Layout &layout, std::span<const mem::Region> regions, uint64_t address,
                                uint64_t error_code, uint64_t rip) {
  if (within(address, layout.stack_guard, mem::kPageSize))
    return {ErrorCode::kStackOverflow,
            format("StackOverflow: the guest ran past its %llu KiB stack (guard page at 0x%llx touched at 0x%llx, "
                   "RIP 0x%llx); raise it with hl_config_set_stack_size",
                   ull(layout.stack_size >> 10), ull(layout.stack_guard), ull(address), ull(rip))};

  std::string where;
  if (within(address, layout.heap_guard, mem::kPageSize)) {
    return {ErrorCode::kMemoryAccessViolation,
            format("MemoryAccessViolation: %s at 0x%llx, past the end of the %llu KiB heap (guard page at 0x%llx), "
                   "RIP 0x%llx; the guest overran a heap buffer, or needs more heap: hl_config_set_heap_size",
                   attempted_access(error_code), ull(address), ull(layout.heap_size >> 10), ull(layout.heap_guard),
                   ull(rip))};
  } else if (address < mem::kPageSize) {
    where = "the null page (never mapped)";
  } else if (within(address, layout.exception_guard, mem::kPageSize)) {
    where = "the exception stack's guard page (never mapped)";
  } else {
    for (const mem::Region &r : regions)
      if (within(address, r.base, r.size))
        where = format("region '%.*s' (flags %s)", static_cast<int>(r.name.size()), r.name.data(),
                       region_flags(r.permissions).c_str());
    if (where.empty())
      where = address < layout.memory_size ? "an unmapped page" : "unmapped memory past the end of guest memory";
  }
  return {ErrorCode::kMemoryAccessViolation,
          format("MemoryAccessViolation: %s at 0x%llx, %s, RIP 0x%llx", attempted_access(error_code), ull(address),
                 where.c_str(), ull(rip))};
}

}  // namespace hl
