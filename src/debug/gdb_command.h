// One gdb remote-protocol packet payload parsed into a command for the
// stub's session. Only what a single-threaded, all-stop stub needs is
// understood; everything else is kUnsupported (the empty reply gdb expects
// for unknown packets). Payloads are hostile: parsing is total, bounded and
// never throws; a known command with bad arguments is kMalformed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "debug/gdb_packet.h"

namespace hl::debug {

struct GdbCommand {
  enum class Kind {
    kUnsupported,           // reply ""
    kMalformed,             // reply "E01"
    kHaltReason,            // ?
    kQuerySupported,        // qSupported[:features]
    kQueryAttached,         // qAttached[:pid]
    kQueryCurrentThread,    // qC
    kQueryThreadInfoFirst,  // qfThreadInfo
    kQueryThreadInfoNext,   // qsThreadInfo
    kQueryOffsets,          // qOffsets
    kQuerySymbol,           // qSymbol:... -> OK
    kStartNoAckMode,        // QStartNoAckMode
    kXferFeatures,          // qXfer:features:read:ANNEX:OFF,LEN
    kXferAuxv,              // qXfer:auxv:read::OFF,LEN
    kReadRegisters,         // g
    kWriteRegisters,        // G hex
    kReadRegister,          // p n
    kWriteRegister,         // P n=hex
    kReadMemory,            // m addr,len
    kWriteMemory,           // M addr,len:hex  and  X addr,len:binary
    kInsertBreakpoint,      // Z t,addr,kind
    kRemoveBreakpoint,      // z t,addr,kind
    kContinue,              // c [addr], C sig[;addr], vCont;c / vCont;C
    kStep,                  // s [addr], S sig[;addr], vCont;s / vCont;S
    kVContQuery,            // vCont?
    kKill,                  // k, vKill;pid
    kDetach,                // D, D;pid
    kSetThread,             // Hg.. Hc.. -> OK
    kThreadAlive,           // T tid -> OK
  };
  Kind kind = Kind::kUnsupported;
  uint64_t address = 0;  // m M X Z z; c/s with an address (has_address)
  bool has_address = false;
  uint64_t length = 0;           // m M X; Xfer length
  uint64_t offset = 0;           // Xfer offset
  uint32_t regno = 0;            // p P
  uint32_t breakpoint_type = 0;  // Z/z: 0 software, 1 hardware, 2 write, 3 read, 4 access watchpoint
  uint32_t breakpoint_kind = 0;  // Z/z kind (length for watchpoints)
  std::string annex;             // Xfer annex ("target.xml")
  std::vector<uint8_t> data;     // G, P, M, X payload bytes (decoded)
  // Additions to the agreed interface:
  uint8_t signal = 0;     // C, S, vCont;C, vCont;S: the signal to deliver (a guest has no handlers for it)
  int64_t thread_id = 0;  // H, T: the thread named (-1 all threads, 0 any thread; ours is 1)
};

// Parses one packet payload (as PacketDecoder delivers it). Never throws.
GdbCommand parse_command(std::string_view payload);

// The largest m/M/X transfer: its hex reply (or request) fits a packet.
inline constexpr uint64_t kMaxMemoryTransfer = (kMaxPacketPayload - 16) / 2;  // m/M larger than this: kMalformed

// The program's only thread, as qC, qfThreadInfo and stop replies name it.
inline constexpr int64_t kThreadId = 1;

}  // namespace hl::debug
