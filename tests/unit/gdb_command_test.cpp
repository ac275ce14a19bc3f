// gdb remote-protocol commands: every kind parse_command knows, with its
// arguments, and the malformed, oversized and unknown payloads a hostile
// debugger connection can send.
#include "debug/gdb_command.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hl::debug {
namespace {

using Kind = GdbCommand::Kind;

Kind kind_of(std::string_view payload) { return parse_command(payload).kind; }

TEST(gdb_command, SimpleCommands) {
  EXPECT_EQ(kind_of("?"), Kind::kHaltReason);
  EXPECT_EQ(kind_of("g"), Kind::kReadRegisters);
  EXPECT_EQ(kind_of("k"), Kind::kKill);
  EXPECT_EQ(kind_of("D"), Kind::kDetach);
  EXPECT_EQ(kind_of("D;1"), Kind::kDetach);
  EXPECT_EQ(kind_of("vKill;1"), Kind::kKill);
  EXPECT_EQ(kind_of("vCont?"), Kind::kVContQuery);
  EXPECT_EQ(kind_of("QStartNoAckMode"), Kind::kStartNoAckMode);
}

TEST(gdb_command, SimpleCommandsWithTrailingBytesAreMalformed) {
  for (const char *payload : {"?x", "gg", "k1", "D1", "D;", "D;zz", "vKill", "vKill;", "vKill;x", "vCont", "vCont?x"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, Queries) {
  EXPECT_EQ(kind_of("qSupported"), Kind::kQuerySupported);
  EXPECT_EQ(kind_of("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;xmlRegisters=i386"), Kind::kQuerySupported);
  EXPECT_EQ(kind_of("qAttached"), Kind::kQueryAttached);
  EXPECT_EQ(kind_of("qAttached:1"), Kind::kQueryAttached);
  EXPECT_EQ(kind_of("qC"), Kind::kQueryCurrentThread);
  EXPECT_EQ(kind_of("qfThreadInfo"), Kind::kQueryThreadInfoFirst);
  EXPECT_EQ(kind_of("qsThreadInfo"), Kind::kQueryThreadInfoNext);
  EXPECT_EQ(kind_of("qOffsets"), Kind::kQueryOffsets);
  EXPECT_EQ(kind_of("qSymbol::"), Kind::kQuerySymbol);
  EXPECT_EQ(kind_of("qSymbol:1000:6d61696e"), Kind::kQuerySymbol);
}

TEST(gdb_command, QueriesWithBadArgumentsAreMalformed) {
  for (const char *payload : {"qC:1", "qOffsets,", "qfThreadInfo;", "qAttached:", "qAttached:x", "qSymbol", "qSymbol;",
                              "qSupported;x", "qXfer", "qXfer;features"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, UnknownPacketsAreUnsupported) {
  for (const char *payload :
       {"", "qTStatus", "qCRC:0,4", "qRcmd,6964", "qL1200", "qGetTLSAddr:1,2,3", "vMustReplyEmpty", "vFile:open:2f,0,0",
        "vRun;", "vContX", "QNonStop:1", "QStartNoAckModeX", "!", "R00", "i", "bc", "A", "\x03", "\xff"}) {
    EXPECT_EQ(kind_of(payload), Kind::kUnsupported) << payload;
  }
}

TEST(gdb_command, XferFeatures) {
  const auto command = parse_command("qXfer:features:read:target.xml:0,ffb");
  EXPECT_EQ(command.kind, Kind::kXferFeatures);
  EXPECT_EQ(command.annex, "target.xml");
  EXPECT_EQ(command.offset, 0u);
  EXPECT_EQ(command.length, 0xffbu);
  const auto later = parse_command("qXfer:features:read:64bit-sse.xml:7fe,ffb");
  EXPECT_EQ(later.kind, Kind::kXferFeatures);
  EXPECT_EQ(later.annex, "64bit-sse.xml");
  EXPECT_EQ(later.offset, 0x7feu);
}

TEST(gdb_command, XferAuxv) {
  const auto command = parse_command("qXfer:auxv:read::10,20");
  EXPECT_EQ(command.kind, Kind::kXferAuxv);
  EXPECT_EQ(command.annex, "");
  EXPECT_EQ(command.offset, 0x10u);
  EXPECT_EQ(command.length, 0x20u);
}

TEST(gdb_command, XferOthers) {
  EXPECT_EQ(kind_of("qXfer:threads:read::0,fff"), Kind::kUnsupported);
  EXPECT_EQ(kind_of("qXfer:exec-file:read:1:0,fff"), Kind::kUnsupported);
  EXPECT_EQ(kind_of("qXfer:features:write:target.xml:0:abc"), Kind::kUnsupported);
  for (const char *payload :
       {"qXfer:features", "qXfer:features:read", "qXfer:features:read:target.xml", "qXfer:features:read:target.xml:0",
        "qXfer:features:read:target.xml:,5", "qXfer:features:read:target.xml:0,", "qXfer:features:read:a:b:0,5",
        "qXfer:features:read:target.xml:0,10000000000000000", "qXfer:auxv:read:x:0,10"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, Registers) {
  auto command = parse_command("p10");
  EXPECT_EQ(command.kind, Kind::kReadRegister);
  EXPECT_EQ(command.regno, 16u);
  command = parse_command("P11=46020000");
  EXPECT_EQ(command.kind, Kind::kWriteRegister);
  EXPECT_EQ(command.regno, 17u);
  EXPECT_EQ(command.data, (std::vector<uint8_t>{0x46, 0x02, 0x00, 0x00}));
  command = parse_command("G00ff10AB");
  EXPECT_EQ(command.kind, Kind::kWriteRegisters);
  EXPECT_EQ(command.data, (std::vector<uint8_t>{0x00, 0xff, 0x10, 0xab}));
}

TEST(gdb_command, BadRegisterArgumentsAreMalformed) {
  for (const char *payload : {"p", "px", "p100000000", "p-1", "P", "P1", "P1=", "P=00", "P1=0", "P1=0g",
                              "P100000000=00", "G", "G0", "G0x", "Gzz"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, ReadMemory) {
  const auto command = parse_command("mffffffff81000000,40");
  EXPECT_EQ(command.kind, Kind::kReadMemory);
  EXPECT_EQ(command.address, 0xffffffff81000000u);
  EXPECT_EQ(command.length, 0x40u);
  EXPECT_EQ(kind_of("m0,0"), Kind::kReadMemory);
  EXPECT_EQ(kind_of("mffffffffffffffff,1"), Kind::kReadMemory);  // the last byte
}

TEST(gdb_command, BadMemoryReadsAreMalformed) {
  char at_limit[64];
  std::snprintf(at_limit, sizeof at_limit, "m0,%llx", static_cast<unsigned long long>(kMaxMemoryTransfer));
  EXPECT_EQ(kind_of(at_limit), Kind::kReadMemory);
  char over_limit[64];
  std::snprintf(over_limit, sizeof over_limit, "m0,%llx", static_cast<unsigned long long>(kMaxMemoryTransfer + 1));
  EXPECT_EQ(kind_of(over_limit), Kind::kMalformed);
  for (const char *payload : {"m", "m0", "m,4", "m0,", "mx,4", "m0,4,", "m0,4;", "m 0,4", "m0,ffffffffffffffff",
                              "m10000000000000000,1", "m00000000000000000,1", "mffffffffffffffff,2"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, WriteMemoryHex) {
  const auto command = parse_command("M1000,3:0aBbcc");
  EXPECT_EQ(command.kind, Kind::kWriteMemory);
  EXPECT_EQ(command.address, 0x1000u);
  EXPECT_EQ(command.length, 3u);
  EXPECT_EQ(command.data, (std::vector<uint8_t>{0x0a, 0xbb, 0xcc}));
  EXPECT_EQ(kind_of("M1000,0:"), Kind::kWriteMemory);
  for (const char *payload : {"M1000,3:0abb", "M1000,3:0abbccdd", "M1000,3:0abbcx", "M1000,3", "M1000:00",
                              "M1000,3:0abbc", "Mffffffffffffffff,2:0000"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, WriteMemoryBinary) {
  const std::string binary = std::string("X2000,4:") + std::string("\0:$\xff", 4);
  const auto command = parse_command(binary);
  EXPECT_EQ(command.kind, Kind::kWriteMemory);
  EXPECT_EQ(command.address, 0x2000u);
  EXPECT_EQ(command.length, 4u);
  EXPECT_EQ(command.data, (std::vector<uint8_t>{0x00, ':', '$', 0xff}));
  EXPECT_EQ(kind_of("X2000,0:"), Kind::kWriteMemory);  // gdb's probe for X support
  for (const char *payload : {"X2000,4:abc", "X2000,4:abcde", "X2000,4", "X2000:abcd"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
  const std::string huge = "X0,2000:" + std::string(0x2000, 'a');
  EXPECT_EQ(kind_of(huge), Kind::kMalformed);
}

TEST(gdb_command, Breakpoints) {
  auto command = parse_command("Z0,401000,1");
  EXPECT_EQ(command.kind, Kind::kInsertBreakpoint);
  EXPECT_EQ(command.breakpoint_type, 0u);
  EXPECT_EQ(command.address, 0x401000u);
  EXPECT_EQ(command.breakpoint_kind, 1u);
  command = parse_command("z4,7ffc0000,8");
  EXPECT_EQ(command.kind, Kind::kRemoveBreakpoint);
  EXPECT_EQ(command.breakpoint_type, 4u);
  EXPECT_EQ(command.breakpoint_kind, 8u);
  for (int type = 1; type <= 4; ++type) {
    EXPECT_EQ(kind_of("Z" + std::to_string(type) + ",1000,4"), Kind::kInsertBreakpoint);
  }
}

TEST(gdb_command, UnknownBreakpointTypesAreUnsupported) {
  EXPECT_EQ(kind_of("Z5,1000,1"), Kind::kUnsupported);
  EXPECT_EQ(kind_of("zff,1000,1"), Kind::kUnsupported);
  EXPECT_EQ(kind_of("Zffffffffffffffff,1000,1"), Kind::kUnsupported);
}

TEST(gdb_command, BadBreakpointsAreMalformed) {
  for (const char *payload :
       {"Z", "Z0", "Z0,", "Z0,1000", "Z0,1000,", "Zx,1000,1", "Z0,x,1", "Z0,1000,x", "Z0,1000,100000000",
        "Z0,10000000000000000,1", "Z0,1000,1;X3,220027", "Z10000000000000000,1000,1", "z0,1000"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, ContinueAndStep) {
  auto command = parse_command("c");
  EXPECT_EQ(command.kind, Kind::kContinue);
  EXPECT_FALSE(command.has_address);
  command = parse_command("c401000");
  EXPECT_EQ(command.kind, Kind::kContinue);
  EXPECT_TRUE(command.has_address);
  EXPECT_EQ(command.address, 0x401000u);
  command = parse_command("s");
  EXPECT_EQ(command.kind, Kind::kStep);
  EXPECT_FALSE(command.has_address);
  command = parse_command("C0b");
  EXPECT_EQ(command.kind, Kind::kContinue);
  EXPECT_EQ(command.signal, 11u);
  EXPECT_FALSE(command.has_address);
  command = parse_command("S05;2000");
  EXPECT_EQ(command.kind, Kind::kStep);
  EXPECT_EQ(command.signal, 5u);
  EXPECT_TRUE(command.has_address);
  EXPECT_EQ(command.address, 0x2000u);
  for (const char *payload : {"cx", "c10000000000000000", "s;", "C", "C100", "Cx", "C05;", "C05;x", "S", "S05;"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, VContTakesTheActionForOurThread) {
  auto command = parse_command("vCont;c");
  EXPECT_EQ(command.kind, Kind::kContinue);
  EXPECT_FALSE(command.has_address);
  EXPECT_EQ(kind_of("vCont;s:1"), Kind::kStep);
  EXPECT_EQ(kind_of("vCont;s:-1"), Kind::kStep);
  EXPECT_EQ(kind_of("vCont;s:0"), Kind::kStep);
  EXPECT_EQ(kind_of("vCont;s:01"), Kind::kStep);
  EXPECT_EQ(kind_of("vCont;s:1;c"), Kind::kStep);      // the leftmost that applies
  EXPECT_EQ(kind_of("vCont;s:2;c"), Kind::kContinue);  // the default action
  EXPECT_EQ(kind_of("vCont;c:2;s:1"), Kind::kStep);
  command = parse_command("vCont;C0b:1;c");
  EXPECT_EQ(command.kind, Kind::kContinue);
  EXPECT_EQ(command.signal, 11u);
  command = parse_command("vCont;S05");
  EXPECT_EQ(command.kind, Kind::kStep);
  EXPECT_EQ(command.signal, 5u);
}

TEST(gdb_command, VContStopAndRangeAreUnsupported) {
  EXPECT_EQ(kind_of("vCont;t"), Kind::kUnsupported);
  EXPECT_EQ(kind_of("vCont;t:1"), Kind::kUnsupported);
  EXPECT_EQ(kind_of("vCont;r1000,2000:1"), Kind::kUnsupported);
  EXPECT_EQ(kind_of("vCont;x"), Kind::kUnsupported);
  EXPECT_EQ(kind_of("vCont;r1000,2000:2;c"), Kind::kContinue);  // a range for another thread
}

TEST(gdb_command, BadVContIsMalformed) {
  for (const char *payload : {"vCont;", "vCont;;c", "vCont;c;", "vCont;c:", "vCont;c:x", "vCont;c:-2", "vCont;cx",
                              "vCont;C", "vCont;C100", "vCont;s:1:1", "vCont;t1", "vCont;r1000", "vCont;rx,1",
                              "vCont;c:2", "vCont;c:10000000000000000", "vCont;c:ffffffffffffffff"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, Threads) {
  auto command = parse_command("Hg0");
  EXPECT_EQ(command.kind, Kind::kSetThread);
  EXPECT_EQ(command.thread_id, 0);
  command = parse_command("Hc-1");
  EXPECT_EQ(command.kind, Kind::kSetThread);
  EXPECT_EQ(command.thread_id, -1);
  command = parse_command("Hg1");
  EXPECT_EQ(command.thread_id, 1);
  command = parse_command("T1");
  EXPECT_EQ(command.kind, Kind::kThreadAlive);
  EXPECT_EQ(command.thread_id, 1);
  command = parse_command("T2");
  EXPECT_EQ(command.kind, Kind::kThreadAlive);
  EXPECT_EQ(command.thread_id, 2);
  EXPECT_EQ(kind_of("Hm1"), Kind::kUnsupported);
  for (const char *payload : {"H", "Hg", "Hgx", "Hg-2", "Hgp1.1", "T", "Tx", "T-", "T8000000000000000"}) {
    EXPECT_EQ(kind_of(payload), Kind::kMalformed) << payload;
  }
}

TEST(gdb_command, HexNumbersOfSixteenDigits) {
  auto command = parse_command("mFFFFFFFFFFFFFFF0,10");
  EXPECT_EQ(command.kind, Kind::kReadMemory);
  EXPECT_EQ(command.address, 0xfffffffffffffff0u);
  // Seventeen digits are malformed even when the value would fit.
  EXPECT_EQ(kind_of("m00000000000000001,1"), Kind::kMalformed);
  EXPECT_EQ(kind_of("m1," + std::string(1000, '0') + "1"), Kind::kMalformed);
}

TEST(gdb_command, EveryShortPayloadParsesWithoutThrowing) {
  // All one- and two-byte payloads, and each known command cut short.
  for (int a = 0; a < 256; ++a) {
    const char one[] = {static_cast<char>(a)};
    EXPECT_NO_THROW(parse_command(std::string_view(one, 1)));
    for (int b = 0; b < 256; ++b) {
      const char two[] = {static_cast<char>(a), static_cast<char>(b)};
      EXPECT_NO_THROW(parse_command(std::string_view(two, 2)));
    }
  }
  const std::string full[] = {"qXfer:features:read:target.xml:0,ffb",
                              "M1000,3:0abbcc",
                              "vCont;C0b:1;s:-1",
                              "Z2,401000,8",
                              "P11=46020000",
                              "qSupported:a+",
                              "X0,1:a",
                              "S05;1000"};
  for (const auto &payload : full) {
    for (size_t n = 0; n <= payload.size(); ++n) EXPECT_NO_THROW(parse_command(payload.substr(0, n)));
  }
}

}  // namespace
}  // namespace hl::debug
