#include "x86/page_tables.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace hl::x86 {
namespace {

constexpr uint64_t kEntries = 512;
constexpr uint64_t kLargePage = 1ull << 7;  // PS in a PDE: it maps 2 MiB itself
constexpr uint64_t kLargePageSize = 2ull << 20;
// Accessed (and, on writable leaves, Dirty) are set up front: the guest's
// first access to a page then writes no page-table entry. Otherwise, on a
// host with shadow paging, KVM sets the bit and logs the page-table page in
// the dirty ring on every first write after a restore: two ring entries per
// page written, and a ring full at half the pages (docs/benchmarks.md).
constexpr uint64_t kUpperFlags = pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed;

uint64_t leaf_flags(const PagePermissions &p) {
  // W^X: the loaders refuse such memory; this is the last line of defence.
  if (p.writable && p.executable) throw Error(ErrorCode::kInternal, "a page mapping is both writable and executable");
  uint64_t f = pte::kPresent | pte::kAccessed;
  if (p.writable) f |= pte::kWritable | pte::kDirty;
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

namespace {

// Whether the 512 leaves of one page table map its 2 MiB alike (all present,
// the same flags), so one large-page PDE can stand for them.
bool one_large_page(const uint64_t *leaves) {
  const uint64_t flags = leaves[0] & ~pte::kAddressMask;
  if ((flags & pte::kPresent) == 0) return false;
  for (uint64_t i = 1; i < kEntries; i++)
    if ((leaves[i] & ~pte::kAddressMask) != flags) return false;
  return true;
}

}  // namespace

void build_page_tables(std::span<uint8_t> tables, uint64_t tables_gpa, uint64_t memory_size,
                       std::span<const PageMapping> mappings) {
  const uint64_t pts = (memory_size + kLargePageSize - 1) >> 21;
  const uint64_t pds = (memory_size + (1ull << 30) - 1) >> 30;
  if (pds > kEntries || mem::page_table_pages_for(memory_size) * kPageSize > tables.size())
    throw Error(ErrorCode::kInternal, "page-table area too small for guest memory");

  // The leaves first, in host memory: whether a 2 MiB stretch can be one
  // large page is known only once every mapping has had its say.
  std::vector<uint64_t> leaves(pts * kEntries, 0);
  for (const PageMapping &m : mappings) {
    if (m.base % kPageSize != 0 || m.size % kPageSize != 0 || m.base > memory_size || m.size > memory_size - m.base)
      throw Error(ErrorCode::kInternal,
                  format("page mapping [0x%llx, +0x%llx) outside guest memory", static_cast<unsigned long long>(m.base),
                         static_cast<unsigned long long>(m.size)));
    const uint64_t flags = leaf_flags(m.permissions);
    for (uint64_t page = m.base / kPageSize; page < (m.base + m.size) / kPageSize; page++)
      leaves[page] = (page * kPageSize) | flags;  // identity map
  }

  // Order inside the area: PML4, PDPT, PDs, PTs (one per 2 MiB, at a fixed
  // place). Only pages with entries are written: a page table replaced by a
  // large page stays a never-written page, which costs no memory in any
  // sandbox or snapshot (a 1 GiB heap: 2 MiB of tables saved per sandbox).
  const uint64_t pdpt_off = kPageSize;
  const uint64_t pd_off = 2 * kPageSize;
  const uint64_t pt_off = pd_off + pds * kPageSize;
  std::memset(tables.data(), 0, pt_off);
  write_entry(tables, 0, (tables_gpa + pdpt_off) | kUpperFlags);
  for (uint64_t i = 0; i < pds; i++)
    write_entry(tables, pdpt_off + 8 * i, (tables_gpa + pd_off + i * kPageSize) | kUpperFlags);
  for (uint64_t i = 0; i < pts; i++) {
    const uint64_t *table = leaves.data() + i * kEntries;
    const bool whole = (i + 1) * kLargePageSize <= memory_size;
    if (whole && one_large_page(table)) {
      write_entry(tables, pd_off + 8 * i, (i * kLargePageSize) | (table[0] & ~pte::kAddressMask) | kLargePage);
      continue;
    }
    write_entry(tables, pd_off + 8 * i, (tables_gpa + pt_off + i * kPageSize) | kUpperFlags);
    if (std::any_of(table, table + kEntries, [](uint64_t e) { return e != 0; }))
      std::memcpy(tables.data() + pt_off + i * kPageSize, table, kPageSize);
  }
}

PageTableEditor::PageTableEditor(std::span<uint8_t> tables, uint64_t tables_gpa, uint64_t pool_gpa, uint64_t pool_pages)
    : tables_(tables), tables_gpa_(tables_gpa), pool_gpa_(pool_gpa), pool_pages_(pool_pages), used_(pool_pages) {
  // Pool pages already referenced by the tables (after earlier maps) are in use.
  for (uint64_t i = 0; i < pool_pages_; i++) {
    const uint8_t *page = tables_.data() + (pool_gpa_ - tables_gpa_) + i * kPageSize;
    for (uint64_t b = 0; b < kPageSize && !used_[i]; b += 8) {
      uint64_t v;
      std::memcpy(&v, page + b, 8);
      used_[i] = v != 0;
    }
  }
}

uint64_t *PageTableEditor::entry(uint64_t table_gpa, uint64_t index) {
  return reinterpret_cast<uint64_t *>(tables_.data() + (table_gpa - tables_gpa_) + 8 * index);
}

uint64_t PageTableEditor::free_pool_pages() const {
  uint64_t n = 0;
  for (bool u : used_) n += u ? 0 : 1;
  return n;
}

uint64_t PageTableEditor::allocate_table() {
  for (uint64_t i = 0; i < pool_pages_; i++) {
    if (used_[i]) continue;
    used_[i] = true;
    uint64_t gpa = pool_gpa_ + i * kPageSize;
    std::memset(tables_.data() + (gpa - tables_gpa_), 0, kPageSize);
    return gpa;
  }
  throw Error(ErrorCode::kTooLarge,
              format("no page-table space left for mapped regions (%llu pool pages in use); unmap regions or map "
                     "2 MiB-aligned ones",
                     static_cast<unsigned long long>(pool_pages_)));
}

void PageTableEditor::release_table(uint64_t table_gpa) {
  if (table_gpa >= pool_gpa_ && table_gpa < pool_gpa_ + pool_pages_ * kPageSize)
    used_[(table_gpa - pool_gpa_) / kPageSize] = false;
}

uint64_t PageTableEditor::next_table(uint64_t *e) {
  if ((*e & pte::kPresent) == 0) *e = allocate_table() | kUpperFlags;
  if (*e & kLargePage)  // mapped regions go where boot mapped nothing
    throw Error(ErrorCode::kInternal, "a mapped region overlaps memory mapped with a 2 MiB page");
  return *e & pte::kAddressMask;
}

void PageTableEditor::map(uint64_t base, uint64_t size, PagePermissions permissions) {
  const uint64_t flags = leaf_flags(permissions);
  try {
    for (uint64_t a = base; a < base + size;) {
      uint64_t pdpt = *entry(tables_gpa_, 0) & pte::kAddressMask;
      uint64_t pd = next_table(entry(pdpt, (a >> 30) & 511));
      uint64_t *pde = entry(pd, (a >> 21) & 511);
      if ((a & ((2ull << 20) - 1)) == 0 && base + size - a >= (2ull << 20) && (*pde & pte::kPresent) == 0) {
        *pde = a | flags | kLargePage;
        a += 2ull << 20;
        continue;
      }
      uint64_t pt = next_table(pde);
      *entry(pt, (a >> 12) & 511) = a | flags;
      a += kPageSize;
    }
  } catch (...) {
    unmap_range(base, size);
    throw;
  }
}

void PageTableEditor::unmap(uint64_t base, uint64_t size) { unmap_range(base, size); }

void PageTableEditor::unmap_range(uint64_t base, uint64_t size) {
  for (uint64_t a = base; a < base + size;) {
    uint64_t pdpt = *entry(tables_gpa_, 0) & pte::kAddressMask;
    uint64_t *pdpte = entry(pdpt, (a >> 30) & 511);
    uint64_t next_gib = (a | ((1ull << 30) - 1)) + 1;
    if ((*pdpte & pte::kPresent) == 0) {
      a = next_gib;
      continue;
    }
    uint64_t pd = *pdpte & pte::kAddressMask;
    uint64_t *pde = entry(pd, (a >> 21) & 511);
    uint64_t next_2mib = (a | ((2ull << 20) - 1)) + 1;
    if (*pde & kLargePage) {
      *pde = 0;
    } else if (*pde & pte::kPresent) {
      uint64_t pt = *pde & pte::kAddressMask;
      for (uint64_t p = a; p < std::min(next_2mib, base + size); p += kPageSize) *entry(pt, (p >> 12) & 511) = 0;
      bool empty = true;
      for (uint64_t i = 0; i < kEntries && empty; i++) empty = *entry(pt, i) == 0;
      if (empty) {
        *pde = 0;
        release_table(pt);
      }
    }
    a = next_2mib;
    bool pd_empty = true;
    for (uint64_t i = 0; i < kEntries && pd_empty; i++) pd_empty = *entry(pd, i) == 0;
    if (pd_empty && pd >= pool_gpa_) {
      *pdpte = 0;
      release_table(pd);
    }
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
    if (level == 0 || (level == 1 && (entry & kLargePage))) return entry;  // 4 KiB or 2 MiB leaf
    table = entry & pte::kAddressMask;
  }
  return std::nullopt;
}

}  // namespace hl::x86
