// Host-built x86-64 4-level page tables (identity map; 4 KiB pages, and
// 2 MiB pages where a whole aligned 2 MiB has one set of permissions).
//
// The guest runs at CPL3 and the tables live in supervisor, read-only pages,
// so it can neither read nor change them. Upper levels allow everything
// (present, writable, user); each leaf PTE alone decides the page's access.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mem/layout.h"

namespace hl::x86 {

using mem::kPageSize;
using mem::PagePermissions;

namespace pte {
inline constexpr uint64_t kPresent = 1ull << 0;
inline constexpr uint64_t kWritable = 1ull << 1;
inline constexpr uint64_t kUser = 1ull << 2;
inline constexpr uint64_t kAccessed = 1ull << 5;
inline constexpr uint64_t kDirty = 1ull << 6;
inline constexpr uint64_t kNoExecute = 1ull << 63;
inline constexpr uint64_t kAddressMask = 0x000ffffffffff000ull;
}  // namespace pte

struct PageMapping {
  uint64_t base;  // page-aligned
  uint64_t size;  // page-aligned
  PagePermissions permissions;
};

// Writes the tables into `tables` (the host view of guest-physical
// [tables_gpa, tables_gpa + tables.size())), mapping every page of
// [0, memory_size) covered by `mappings`; other pages stay not-present.
// Later mappings override earlier ones for the same page. A mapping that is
// both writable and executable throws Error(HL_ERROR_INTERNAL) (W^X).
// The page-table pages must be zero on entry (fresh memory): those a 2 MiB
// page replaces are left unwritten, so they cost no memory.
void build_page_tables(std::span<uint8_t> tables, uint64_t tables_gpa, uint64_t memory_size,
                       std::span<const PageMapping> mappings);

// Adds and removes identity mappings in existing tables, taking page
// directory / page table pages from a fixed pool (and giving emptied page
// tables back). Uses 2 MiB pages where a region covers a whole aligned 2 MiB.
class PageTableEditor {
 public:
  // tables: host view of the whole page-table area at tables_gpa; the pool
  // is `pool_pages` pages starting at guest address pool_gpa inside it.
  PageTableEditor(std::span<uint8_t> tables, uint64_t tables_gpa, uint64_t pool_gpa, uint64_t pool_pages);

  // Throws Error(HL_ERROR_TOO_LARGE) when the pool runs out (nothing is
  // left half-mapped then). base and size must be page-aligned.
  void map(uint64_t base, uint64_t size, PagePermissions permissions);
  void unmap(uint64_t base, uint64_t size);
  uint64_t free_pool_pages() const;

 private:
  uint64_t *entry(uint64_t table_gpa, uint64_t index);
  uint64_t allocate_table();
  void release_table(uint64_t table_gpa);
  // The next-level table under entry e, allocating it if absent.
  uint64_t next_table(uint64_t *e);
  void unmap_range(uint64_t base, uint64_t size);

  std::span<uint8_t> tables_;
  uint64_t tables_gpa_, pool_gpa_, pool_pages_;
  std::vector<bool> used_;
};

// Walks the tables like the MMU does and returns the leaf PTE for `address`,
// or nothing if some level is not present. For tests and diagnostics.
std::optional<uint64_t> walk_page_tables(std::span<const uint8_t> tables, uint64_t tables_gpa, uint64_t address);

}  // namespace hl::x86
