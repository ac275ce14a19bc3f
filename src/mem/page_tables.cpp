#include "mem/page_tables.h"

#include <cstring>

#include "common/error.h"

namespace hl::mem {
namespace {

constexpr uint64_t kEntries = 512;
constexpr uint64_t kUpperFlags = pte::kPresent | pte::kWritable | pte::kUser;

uint64_t leaf_flags(const PagePermissions &p) {
  uint64_t f = pte::kPresent;
  if (p.writable) f |= pte::kWritable;
  if (p.user) f |= pte::kUser;
  if (!p.executable) f |= pte::kNoExecute;
  return f;
}

uint64_t read_entry(std::span<const uint8_t> tables, uint64_t offset) {
  uint64_t v;
  std::memcpy(&v, tables.data() + offset, sizeof v);
  return v;
}

void write_entry(std::span<uint8_t> tables, uint64_t offset, uint64_t v) {
  std::memcpy(tables.data() + offset, &v, sizeof v);
}

}  // namespace

void build_page_tables(std::span<uint8_t> tables, uint64_t tables_gpa, uint64_t memory_size,
                       std::span<const PageMapping> mappings) {
  const uint64_t pts = (memory_size + (2ull << 20) - 1) >> 21;
  const uint64_t pds = (memory_size + (1ull << 30) - 1) >> 30;
  if (pds > kEntries || page_table_pages_for(memory_size) * kPageSize > tables.size())
    throw Error(HL_ERROR_INTERNAL, "page-table area too small for guest memory");
  std::memset(tables.data(), 0, tables.size());

  // Order inside the area: PML4, PDPT, PDs, PTs.
  const uint64_t pdpt_off = kPageSize;
  const uint64_t pd_off = 2 * kPageSize;
  const uint64_t pt_off = pd_off + pds * kPageSize;
  write_entry(tables, 0, (tables_gpa + pdpt_off) | kUpperFlags);
  for (uint64_t i = 0; i < pds; i++)
    write_entry(tables, pdpt_off + 8 * i, (tables_gpa + pd_off + i * kPageSize) | kUpperFlags);
  for (uint64_t i = 0; i < pts; i++)
    write_entry(tables, pd_off + 8 * i, (tables_gpa + pt_off + i * kPageSize) | kUpperFlags);

  // PTs are contiguous, so the leaf for page n is entry n of the PT array.
  for (const PageMapping &m : mappings) {
    if (m.base % kPageSize != 0 || m.size % kPageSize != 0 || m.base > memory_size || m.size > memory_size - m.base)
      throw Error(HL_ERROR_INTERNAL,
                  format("page mapping [0x%llx, +0x%llx) outside guest memory", static_cast<unsigned long long>(m.base),
                         static_cast<unsigned long long>(m.size)));
    const uint64_t flags = leaf_flags(m.permissions);
    for (uint64_t page = m.base / kPageSize; page < (m.base + m.size) / kPageSize; page++)
      write_entry(tables, pt_off + 8 * page, (page * kPageSize) | flags);
  }
}

std::optional<uint64_t> walk_page_tables(std::span<const uint8_t> tables, uint64_t tables_gpa, uint64_t address) {
  uint64_t table = tables_gpa;
  for (int level = 3; level >= 0; level--) {
    uint64_t index = (address >> (12 + 9 * level)) & (kEntries - 1);
    uint64_t offset = table - tables_gpa + 8 * index;
    if (table < tables_gpa || offset + 8 > tables.size()) return std::nullopt;
    uint64_t entry = read_entry(tables, offset);
    if ((entry & pte::kPresent) == 0) return std::nullopt;
    if (level == 0) return entry;
    table = entry & pte::kAddressMask;
  }
  return std::nullopt;
}

}  // namespace hl::mem
