#include <gtest/gtest.h>

#include "common/error.h"
#include "mem/layout.h"

namespace {

using hl::mem::kPageSize;
using hl::mem::Layout;
using hl::mem::LayoutSizes;

LayoutSizes typical() {
  LayoutSizes s;
  s.image = 0x5123;
  s.input_buffer = 64 << 10;
  s.output_buffer = 64 << 10;
  s.heap = 4 << 20;
  s.stack = 256 << 10;
  return s;
}

TEST(Layout, RegionsArePageAlignedOrderedAndDisjoint) {
  Layout l = Layout::compute(typical());
  uint64_t previous_end = kPageSize;  // page 0 is never mapped
  for (const auto &r : l.regions()) {
    EXPECT_EQ(r.base % kPageSize, 0u) << r.name;
    EXPECT_EQ(r.size % kPageSize, 0u) << r.name;
    EXPECT_GT(r.size, 0u) << r.name;
    EXPECT_GE(r.base, previous_end) << r.name << " overlaps the region before it";
    previous_end = r.base + r.size;
  }
  EXPECT_EQ(previous_end, l.memory_size);
}

TEST(Layout, GuardPagesSitBelowTheStacksAndAreNotRegions) {
  Layout l = Layout::compute(typical());
  EXPECT_EQ(l.stack_guard + kPageSize, l.stack);
  EXPECT_EQ(l.stack + l.stack_size, l.stack_top);
  EXPECT_EQ(l.exception_guard + kPageSize, l.exception_stack);
  for (const auto &r : l.regions()) {
    EXPECT_FALSE(l.stack_guard >= r.base && l.stack_guard < r.base + r.size) << r.name;
    EXPECT_FALSE(l.exception_guard >= r.base && l.exception_guard < r.base + r.size) << r.name;
    EXPECT_NE(r.base, 0u);
  }
  EXPECT_EQ(l.stack_top % 16, 0u) << "the ABI needs a 16-byte aligned stack";
}

TEST(Layout, NothingButTheExceptionStubIsExecutableOutsideTheImage) {
  Layout l = Layout::compute(typical());
  for (const auto &r : l.regions()) {
    if (r.name == "exception stub") {
      EXPECT_TRUE(r.permissions.executable);
      EXPECT_FALSE(r.permissions.user);
    } else {
      EXPECT_FALSE(r.permissions.executable) << r.name;
    }
  }
}

// The config refuses such init data; a layout read from a snapshot file
// must not bring it back.
TEST(Layout, RefusesWritableAndExecutableInitData) {
  LayoutSizes s = typical();
  s.init_data = 4096;
  s.init_data_permissions = {true, true, true};
  try {
    Layout::compute(s);
    FAIL() << "accepted writable and executable init data";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("both writable and executable"), std::string::npos) << e.what();
  }
  s.init_data_permissions = {true, true, false};
  EXPECT_NO_THROW(Layout::compute(s));
  s.init_data_permissions = {true, false, true};
  EXPECT_NO_THROW(Layout::compute(s));
}

TEST(Layout, PageTablesAreLargeEnoughForTheWholeMemory) {
  for (uint64_t heap : {64ull << 10, 3ull << 20, 1ull << 30}) {
    LayoutSizes s = typical();
    s.heap = heap;
    Layout l = Layout::compute(s);
    EXPECT_GE(l.page_tables_size, hl::mem::page_table_pages_for(l.memory_size) * kPageSize);
  }
}

TEST(Layout, ImageHonoursItsAlignment) {
  LayoutSizes s = typical();
  s.image_alignment = 2 << 20;
  Layout l = Layout::compute(s);
  EXPECT_EQ(l.image % (2 << 20), 0u);
}

TEST(Layout, RejectsImpossibleSizes) {
  LayoutSizes s = typical();
  s.heap = 1ull << 62;
  EXPECT_THROW(Layout::compute(s), hl::Error);
  s = typical();
  s.image = 0;
  EXPECT_THROW(Layout::compute(s), hl::Error);
  s = typical();
  s.image_alignment = 3000;
  EXPECT_THROW(Layout::compute(s), hl::Error);
  s = typical();
  s.stack = 0;
  EXPECT_THROW(Layout::compute(s), hl::Error);
}

}  // namespace
