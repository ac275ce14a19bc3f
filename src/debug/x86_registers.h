// The x86-64 register file as gdb sees it through the remote protocol:
// the 59 registers of the target description we send (target.xml: gdb's
// amd64 core + SSE + segment-base features, numbered 0..58), their 'g'/'p'
// encodings, and the qXfer reply format that carries the description.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace hl::debug {

struct X86Registers {
  uint64_t gpr[16];  // rax rbx rcx rdx rsi rdi rbp rsp r8 .. r15 (gdb's order)
  uint64_t rip;
  uint32_t eflags;
  uint32_t cs, ss, ds, es, fs, gs;
  uint8_t st[8][10];  // x87, 80-bit each
  uint32_t fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop;
  uint8_t xmm[16][16];
  uint32_t mxcsr;
  uint64_t fs_base, gs_base;
};

// Register numbers: 0-15 gpr, 16 rip, 17 eflags, 18-23 cs ss ds es fs gs,
// 24-31 st0-7, 32-39 fctrl fstat ftag fiseg fioff foseg fooff fop,
// 40-55 xmm0-15, 56 mxcsr, 57 fs_base, 58 gs_base.
inline constexpr uint32_t kRegisterCount = 59;
inline constexpr uint32_t kRipRegno = 16;
inline constexpr uint32_t kEflagsRegno = 17;
inline constexpr uint32_t kFirstStRegno = 24;
inline constexpr uint32_t kFirstXmmRegno = 40;
inline constexpr uint32_t kMxcsrRegno = 56;
inline constexpr uint32_t kFsBaseRegno = 57;
inline constexpr uint32_t kGsBaseRegno = 58;
// All registers in regno order: the size of a 'g' reply / 'G' request in bytes.
inline constexpr size_t kRegisterFileBytes = 552;

// A register's size in bytes; 0 for an unknown regno.
size_t register_size(uint32_t regno);
// A register's name in the target description; empty for an unknown regno.
std::string_view register_name(uint32_t regno);

// The 'g' reply: every register in regno order, each little-endian, as
// lowercase hex.
std::string encode_registers(const X86Registers &registers);
// 'G': bytes (hex-decoded by parse_command) holds every register in the
// 'g' layout. False, leaving registers unchanged, unless exactly
// kRegisterFileBytes long.
bool decode_registers(std::span<const uint8_t> bytes, X86Registers &registers);
// 'p': sets hex to the register's value. False for an unknown regno.
bool encode_register(const X86Registers &registers, uint32_t regno, std::string &hex);
// 'P': false, leaving registers unchanged, for an unknown regno or a value
// that is not exactly the register's size.
bool decode_register(X86Registers &registers, uint32_t regno, std::span<const uint8_t> bytes);

// "target.xml": architecture i386:x86-64 with gdb's features
// org.gnu.gdb.i386.core, org.gnu.gdb.i386.sse and org.gnu.gdb.i386.segments,
// every <reg> numbered (regnum=) as above.
const std::string &target_description_xml();

// A qXfer read reply: "m" + chunk when more follows, "l" + chunk for the
// last one, chunk = document.substr(offset, length) (empty past the end).
// frame_packet escapes it.
std::string xfer_reply(std::string_view document, uint64_t offset, uint64_t length);

}  // namespace hl::debug
