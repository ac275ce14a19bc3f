#include <gtest/gtest.h>

#include "sandbox/fault_report.h"

namespace {

using namespace hl;

mem::Layout layout() {
  mem::LayoutSizes s;
  s.image = 0x3000;
  s.input_buffer = s.output_buffer = 0x4000;
  s.heap = 0x10000;
  s.stack = 0x8000;
  return mem::Layout::compute(s);
}

constexpr uint64_t kRead = 0x4, kWrite = 0x6, kFetch = 0x14;

TEST(FaultReport, GuardPageBelowTheStackIsStackOverflow) {
  mem::Layout l = layout();
  auto regions = l.regions();
  FaultReport r = describe_page_fault(l, regions, l.stack_guard + 0x10, kWrite, 0x1234);
  EXPECT_EQ(r.code, hl::ErrorCode::kStackOverflow);
  EXPECT_NE(r.message.find("32 KiB stack"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("hl_config_set_stack_size"), std::string::npos) << r.message;
}

TEST(FaultReport, NullPageIsAnAccessViolation) {
  mem::Layout l = layout();
  auto regions = l.regions();
  FaultReport r = describe_page_fault(l, regions, 0x8, kRead, 0x1234);
  EXPECT_EQ(r.code, hl::ErrorCode::kMemoryAccessViolation);
  EXPECT_EQ(r.message, "MemoryAccessViolation: READ at 0x8, the null page (never mapped), RIP 0x1234");
}

TEST(FaultReport, NamesTheRegionAndItsFlags) {
  mem::Layout l = layout();
  auto regions = l.regions();
  FaultReport r = describe_page_fault(l, regions, l.peb + 8, kWrite, 0x10);
  EXPECT_NE(r.message.find("WRITE at"), std::string::npos);
  EXPECT_NE(r.message.find("region 'PEB' (flags R-- user)"), std::string::npos) << r.message;
  r = describe_page_fault(l, regions, l.heap, kFetch, l.heap);
  EXPECT_NE(r.message.find("EXECUTE at"), std::string::npos);
  EXPECT_NE(r.message.find("region 'heap' (flags RW- user)"), std::string::npos) << r.message;
}

TEST(FaultReport, UnmappedAddresses) {
  mem::Layout l = layout();
  auto regions = l.regions();
  EXPECT_NE(describe_page_fault(l, regions, l.memory_size, kRead, 0).message.find("past the end"), std::string::npos);
  EXPECT_NE(describe_page_fault(l, regions, l.exception_guard, kRead, 0).message.find("exception stack's guard"),
            std::string::npos);
}

TEST(FaultReport, AccessAndFlagNames) {
  EXPECT_STREQ(attempted_access(kRead), "READ");
  EXPECT_STREQ(attempted_access(kWrite), "WRITE");
  EXPECT_STREQ(attempted_access(kFetch), "EXECUTE");
  EXPECT_EQ(region_flags({true, false, true}), "R-X user");
  EXPECT_EQ(region_flags({false, true, false}), "RW- supervisor");
}

}  // namespace
