#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "abi/hl_abi.h"
#include "kvm/kvm_abi.h"
#include "mem/layout.h"
#include "x86/system_tables.h"

namespace {

using namespace hl::mem;
using namespace hl::x86;

bool port_open(const std::vector<uint8_t> &page, uint32_t port) {
  const uint8_t *bitmap = page.data() + kTssOffset + kTssBaseSize;
  if (port / 8 >= tss_limit() - kTssBaseSize) return false;  // beyond the map: denied
  return (bitmap[port / 8] & (1u << (port % 8))) == 0;
}

TEST(SystemTables, IoBitmapOpensOnlyTheGuestPorts) {
  std::vector<uint8_t> page(kPageSize);
  write_gdt_and_tss(page, 0x5000, 0x90000);
  for (uint32_t port = 0; port < 0x400; port++) {
    // 32-bit OUTs span four ports, so three past the last guest port are open too.
    bool expected = port >= HL_PORT_FIRST_GUEST && port <= HL_PORT_LAST_GUEST + 3;
    EXPECT_EQ(port_open(page, port), expected) << "port 0x" << std::hex << port;
  }
  EXPECT_FALSE(port_open(page, HL_PORT_EXCEPTION)) << "ring 3 must not fake exception reports";
  EXPECT_EQ(page[kTssOffset + kTssBaseSize + (tss_limit() - kTssBaseSize)], 0xff) << "terminating byte";
}

TEST(SystemTables, TssPointsTheExceptionStackAtIst1AndRsp0) {
  std::vector<uint8_t> page(kPageSize);
  write_gdt_and_tss(page, 0x5000, 0x90000);
  uint64_t rsp0, ist1;
  std::memcpy(&rsp0, &page[kTssOffset + 4], 8);
  std::memcpy(&ist1, &page[kTssOffset + 36], 8);
  EXPECT_EQ(rsp0, 0x90000u);
  EXPECT_EQ(ist1, 0x90000u);
  uint64_t desc;
  std::memcpy(&desc, &page[kTssSelector], 8);
  uint64_t base = ((desc >> 16) & 0xFFFFFF) | (((desc >> 56) & 0xFF) << 24);
  EXPECT_EQ(base, 0x5000 + kTssOffset);
}

TEST(SystemTables, IdtGatesUseIst1AndRing0) {
  std::vector<uint8_t> page(kPageSize);
  write_idt(page, 0x7000);
  for (uint64_t v = 0; v < kExceptionVectors; v++) {
    const uint8_t *e = &page[v * 16];
    uint64_t target = e[0] | (e[1] << 8) | (uint64_t{e[6]} << 16) | (uint64_t{e[7]} << 24);
    EXPECT_EQ(target, 0x7000 + v * kStubBytesPerVector);
    EXPECT_EQ(e[2] | (e[3] << 8), kKernelCodeSelector);
    EXPECT_EQ(e[4], 1) << "IST1";
    if (v == kBreakpointVector)
      EXPECT_EQ(e[5], 0xEE) << "present, DPL3 interrupt gate: a ring-3 int3 is a #BP";
    else
      EXPECT_EQ(e[5], 0x8E) << "present, DPL0 interrupt gate";
  }
}

TEST(SystemTables, StubsReportTheirVector) {
  std::vector<uint8_t> page(kPageSize);
  write_exception_stubs(page);
  for (uint64_t v = 0; v < kExceptionVectors; v++) {
    const uint8_t *s = &page[v * kStubBytesPerVector];
    EXPECT_EQ(s[0], 0x50) << "push rax";
    EXPECT_EQ(s[1], 0xB0);
    EXPECT_EQ(s[2], v);
    EXPECT_EQ(s[3], 0xE6);
    EXPECT_EQ(s[4], HL_PORT_EXCEPTION);
    EXPECT_EQ(s[5], 0x58) << "pop rax";
    const uint64_t iretq_at = vector_has_error_code(v) ? 11 : 6;
    EXPECT_EQ(s[iretq_at], 0x48);
    EXPECT_EQ(s[iretq_at + 1], 0xCF) << "iretq";
  }
  EXPECT_STREQ(vector_name(14), "PageFault");
  EXPECT_TRUE(vector_has_error_code(14));
  EXPECT_FALSE(vector_has_error_code(6));
}

// The C++ flexible-array pitfall: our ioctl numbers must match C's.
TEST(KvmAbi, IoctlNumbersMatchTheCLayout) {
  EXPECT_EQ(hl::kvm::kGetSupportedCpuid, 0xc008ae05ul);
  EXPECT_EQ(hl::kvm::kSetCpuid2, 0x4008ae90ul);
  EXPECT_EQ(hl::kvm::kGetMsrs, 0xc008ae88ul);
  EXPECT_EQ(hl::kvm::kSetMsrs, 0x4008ae89ul);
  EXPECT_EQ(hl::kvm::kGetXsave, 0x9000aea4ul);
  EXPECT_EQ(hl::kvm::kSetXsave, 0x5000aea5ul);
}

}  // namespace
