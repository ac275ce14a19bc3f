#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "mem/layout.h"
#include "x86/page_tables.h"

namespace {

using namespace hl::mem;
using namespace hl::x86;

struct Built {
  Layout layout;
  std::vector<uint8_t> tables;
};

Built build() {
  LayoutSizes s;
  s.image = 0x3000;
  s.input_buffer = s.output_buffer = 0x4000;
  s.heap = 3 << 20;  // crosses a 2 MiB boundary
  s.stack = 0x8000;
  Built b{Layout::compute(s), {}};
  b.tables.resize(b.layout.page_tables_size);
  std::vector<PageMapping> maps;
  for (const auto &r : b.layout.regions())
    if (r.name != "image") maps.push_back({r.base, r.size, r.permissions});
  maps.push_back({b.layout.image, 0x1000, {true, false, true}});
  maps.push_back({b.layout.image + 0x1000, 0x2000, {true, true, false}});
  build_page_tables(b.tables, b.layout.page_tables, b.layout.memory_size, maps);
  return b;
}

TEST(PageTables, NullPageAndGuardPagesAreNotPresent) {
  Built b = build();
  EXPECT_FALSE(walk_page_tables(b.tables, b.layout.page_tables, 0).has_value());
  EXPECT_FALSE(walk_page_tables(b.tables, b.layout.page_tables, b.layout.stack_guard).has_value());
  EXPECT_FALSE(walk_page_tables(b.tables, b.layout.page_tables, b.layout.exception_guard).has_value());
  EXPECT_FALSE(walk_page_tables(b.tables, b.layout.page_tables, b.layout.memory_size).has_value());
  EXPECT_FALSE(walk_page_tables(b.tables, b.layout.page_tables, 1ull << 39).has_value());
}

TEST(PageTables, LeavesCarryEachRegionsPermissions) {
  Built b = build();
  for (const auto &r : b.layout.regions()) {
    if (r.name == "image") continue;
    for (uint64_t a : {r.base, r.base + r.size - 1}) {
      auto e = walk_page_tables(b.tables, b.layout.page_tables, a);
      ASSERT_TRUE(e.has_value()) << r.name;
      EXPECT_EQ((*e & pte::kAddressMask), a & ~(kPageSize - 1)) << "identity map: " << r.name;
      EXPECT_EQ((*e & pte::kUser) != 0, r.permissions.user) << r.name;
      EXPECT_EQ((*e & pte::kWritable) != 0, r.permissions.writable) << r.name;
      EXPECT_EQ((*e & pte::kNoExecute) == 0, r.permissions.executable) << r.name;
    }
  }
}

TEST(PageTables, SystemStructuresAreSupervisorReadOnly) {
  Built b = build();
  for (uint64_t a : {b.layout.page_tables, b.layout.gdt_tss, b.layout.idt}) {
    auto e = walk_page_tables(b.tables, b.layout.page_tables, a);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(*e & (pte::kUser | pte::kWritable), 0u);
  }
  auto peb = walk_page_tables(b.tables, b.layout.page_tables, b.layout.peb);
  ASSERT_TRUE(peb.has_value());
  EXPECT_NE(*peb & pte::kUser, 0u);
  EXPECT_EQ(*peb & pte::kWritable, 0u) << "the guest must not write its PEB";
}

TEST(PageTables, ImageSegmentsGetTheirOwnPermissions) {
  Built b = build();
  auto code = walk_page_tables(b.tables, b.layout.page_tables, b.layout.image);
  auto data = walk_page_tables(b.tables, b.layout.page_tables, b.layout.image + 0x1000);
  ASSERT_TRUE(code && data);
  EXPECT_EQ(*code & pte::kNoExecute, 0u);
  EXPECT_EQ(*code & pte::kWritable, 0u);
  EXPECT_NE(*data & pte::kNoExecute, 0u);
  EXPECT_NE(*data & pte::kWritable, 0u);
}

TEST(PageTables, RejectsMappingsOutsideMemory) {
  Built b = build();
  std::vector<PageMapping> bad = {{b.layout.memory_size, kPageSize, {}}};
  EXPECT_ANY_THROW(build_page_tables(b.tables, b.layout.page_tables, b.layout.memory_size, bad));
  std::vector<PageMapping> unaligned = {{0x1234, kPageSize, {}}};
  EXPECT_ANY_THROW(build_page_tables(b.tables, b.layout.page_tables, b.layout.memory_size, unaligned));
}

// W^X: whatever a loader let through, no page is both writable and executable.
TEST(PageTables, RejectsWritableAndExecutableMappings) {
  Built b = build();
  std::vector<PageMapping> rwx = {{b.layout.heap, kPageSize, {true, true, true}}};
  try {
    build_page_tables(b.tables, b.layout.page_tables, b.layout.memory_size, rwx);
    FAIL() << "mapped a page writable and executable";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kInternal);
  }
}

// Accessed and Dirty come set, so the guest's first access writes no entry
// (with shadow paging that write would log the table page in the dirty ring).
TEST(PageTables, LeavesComeAccessedAndWritableOnesDirty) {
  Built b = build();
  auto heap = walk_page_tables(b.tables, b.layout.page_tables, b.layout.heap);
  auto code = walk_page_tables(b.tables, b.layout.page_tables, b.layout.image);
  ASSERT_TRUE(heap && code);
  EXPECT_EQ(*heap & (pte::kAccessed | pte::kDirty), pte::kAccessed | pte::kDirty);
  EXPECT_NE(*code & pte::kAccessed, 0u);
}

// A large heap is mapped with 2 MiB pages wherever a whole aligned 2 MiB is
// heap, and the page tables those replace are never written: they cost a
// sandbox no memory.
TEST(PageTables, WholeTwoMiBStretchesBecomeLargePages) {
  LayoutSizes s;
  s.image = 0x3000;
  s.input_buffer = s.output_buffer = 0x4000;
  s.heap = 64 << 20;
  s.stack = 0x8000;
  const Layout layout = Layout::compute(s);
  std::vector<uint8_t> tables(layout.page_tables_size);
  std::vector<PageMapping> maps;
  for (const auto &r : layout.regions()) maps.push_back({r.base, r.size, r.permissions});
  build_page_tables(tables, layout.page_tables, layout.memory_size, maps);

  constexpr uint64_t kTwoMiB = 2ull << 20;
  const uint64_t first_whole = (layout.heap + kTwoMiB - 1) & ~(kTwoMiB - 1);
  const uint64_t inside = first_whole + kTwoMiB + 0x5000;
  auto large = walk_page_tables(tables, layout.page_tables, inside);
  ASSERT_TRUE(large.has_value());
  EXPECT_NE(*large & (1ull << 7), 0u) << "a 2 MiB page";
  EXPECT_EQ(*large & pte::kAddressMask, inside & ~(kTwoMiB - 1)) << "identity map";
  EXPECT_NE(*large & pte::kWritable, 0u);
  EXPECT_NE(*large & pte::kUser, 0u);
  EXPECT_NE(*large & pte::kNoExecute, 0u);
  // The heap's first page (its stretch shared with other regions) keeps a 4 KiB leaf.
  if (layout.heap % kTwoMiB != 0) {
    auto small = walk_page_tables(tables, layout.page_tables, layout.heap);
    ASSERT_TRUE(small.has_value());
    EXPECT_EQ(*small & (1ull << 7), 0u);
  }
  uint64_t written = 0;
  for (uint64_t page = 0; page < tables.size(); page += kPageSize)
    written += std::any_of(tables.begin() + page, tables.begin() + page + kPageSize, [](uint8_t v) { return v != 0; });
  EXPECT_LT(written, 10u) << "64 MiB of heap needs a handful of table pages, not 32";
}

}  // namespace

namespace {

using namespace hl::mem;
using namespace hl::x86;

struct Editable {
  Layout layout;
  std::vector<uint8_t> tables;
  PageTableEditor editor() {
    return PageTableEditor(tables, layout.page_tables, layout.mapping_table_pool, kMappingTablePages);
  }
};

Editable editable() {
  LayoutSizes s;
  s.image = 0x3000;
  s.input_buffer = s.output_buffer = 0x4000;
  s.heap = 0x10000;
  s.stack = 0x8000;
  Editable e{Layout::compute(s), {}};
  e.tables.resize(e.layout.page_tables_size);
  std::vector<PageMapping> maps = {{e.layout.heap, e.layout.heap_size, {true, true, false}}};
  build_page_tables(e.tables, e.layout.page_tables, e.layout.memory_size, maps);
  return e;
}

TEST(PageTableEditor, RefusesWritableAndExecutableRegions) {
  Editable e = editable();
  std::vector<uint8_t> before = e.tables;
  EXPECT_THROW(e.editor().map(e.layout.memory_size, kPageSize, {true, true, true}), hl::Error);
  EXPECT_EQ(e.tables, before) << "nothing was mapped";
}

TEST(PageTableEditor, MapsAndUnmapsSmallRegions) {
  Editable e = editable();
  PageTableEditor ed = e.editor();
  const uint64_t base = 5ull << 30;  // in a GiB the main tables do not cover
  ed.map(base, 3 * kPageSize, {true, false, true});
  EXPECT_EQ(ed.free_pool_pages(), kMappingTablePages - 2) << "one page directory, one page table";
  for (uint64_t a = base; a < base + 3 * kPageSize; a += kPageSize) {
    auto leaf = walk_page_tables(e.tables, e.layout.page_tables, a);
    ASSERT_TRUE(leaf.has_value());
    EXPECT_EQ(*leaf & pte::kAddressMask, a);
    EXPECT_EQ(*leaf & pte::kWritable, 0u);
    EXPECT_EQ(*leaf & pte::kNoExecute, 0u);
  }
  EXPECT_FALSE(walk_page_tables(e.tables, e.layout.page_tables, base + 3 * kPageSize).has_value());
  EXPECT_TRUE(walk_page_tables(e.tables, e.layout.page_tables, e.layout.heap).has_value()) << "untouched";
  ed.unmap(base, 3 * kPageSize);
  EXPECT_FALSE(walk_page_tables(e.tables, e.layout.page_tables, base).has_value());
  EXPECT_EQ(ed.free_pool_pages(), kMappingTablePages) << "emptied tables go back to the pool";
}

TEST(PageTableEditor, UsesTwoMibPagesWhenAligned) {
  Editable e = editable();
  PageTableEditor ed = e.editor();
  const uint64_t base = 6ull << 30;
  ed.map(base, 8ull << 20, {true, false, false});
  EXPECT_EQ(ed.free_pool_pages(), kMappingTablePages - 1) << "only a page directory";
  auto leaf = walk_page_tables(e.tables, e.layout.page_tables, base + (5ull << 20) + 123);
  ASSERT_TRUE(leaf.has_value());
  EXPECT_NE(*leaf & (1ull << 7), 0u) << "a 2 MiB leaf";
  ed.unmap(base, 8ull << 20);
  EXPECT_FALSE(walk_page_tables(e.tables, e.layout.page_tables, base).has_value());
  EXPECT_EQ(ed.free_pool_pages(), kMappingTablePages);
}

TEST(PageTableEditor, RunningOutOfPoolLeavesNothingHalfMapped) {
  Editable e = editable();
  PageTableEditor ed = e.editor();
  // One 4 KiB page in each of 20 different 2 MiB ranges needs 20 page tables.
  const uint64_t base = 7ull << 30;
  ed.map(base, kPageSize, {true, false, false});
  const uint64_t before = ed.free_pool_pages();
  std::vector<uint8_t> copy = e.tables;
  bool threw = false;
  try {
    for (uint64_t i = 1; i < 20; i++) ed.map(base + i * (2ull << 20) + kPageSize, kPageSize, {true, false, false});
  } catch (const hl::Error &err) {
    threw = true;
    EXPECT_EQ(err.code(), hl::ErrorCode::kTooLarge);
  }
  EXPECT_TRUE(threw);
  EXPECT_LT(ed.free_pool_pages(), before);
  EXPECT_TRUE(walk_page_tables(e.tables, e.layout.page_tables, base).has_value()) << "earlier mappings survive";
}

}  // namespace
