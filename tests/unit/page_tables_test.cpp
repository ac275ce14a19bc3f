#include <gtest/gtest.h>

#include <vector>

#include "mem/layout.h"
#include "mem/page_tables.h"

namespace {

using namespace hl::mem;

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

}  // namespace
