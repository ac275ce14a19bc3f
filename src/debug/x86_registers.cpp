// The register file gdb sees (see x86_registers.h): one table maps each
// regno to its bytes in X86Registers, and the target description is
// generated from the same names and sizes, so the two cannot disagree.
#include "debug/x86_registers.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "debug/gdb_packet.h"

namespace hl::debug {

static_assert(std::endian::native == std::endian::little, "registers are copied as little-endian bytes");

namespace {

constexpr std::string_view kRegisterNames[kRegisterCount] = {
    "rax",   "rbx",   "rcx",   "rdx",   "rsi",   "rdi",    "rbp",   "rsp",   "r8",    "r9",      "r10",    "r11",
    "r12",   "r13",   "r14",   "r15",   "rip",   "eflags", "cs",    "ss",    "ds",    "es",      "fs",     "gs",
    "st0",   "st1",   "st2",   "st3",   "st4",   "st5",    "st6",   "st7",   "fctrl", "fstat",   "ftag",   "fiseg",
    "fioff", "foseg", "fooff", "fop",   "xmm0",  "xmm1",   "xmm2",  "xmm3",  "xmm4",  "xmm5",    "xmm6",   "xmm7",
    "xmm8",  "xmm9",  "xmm10", "xmm11", "xmm12", "xmm13",  "xmm14", "xmm15", "mxcsr", "fs_base", "gs_base"};

// Where a register's bytes live in X86Registers.
template <typename Registers>
auto register_bytes(Registers &r, uint32_t regno) {
  using Byte = std::conditional_t<std::is_const_v<Registers>, const uint8_t, uint8_t>;
  auto bytes_of = [](auto &field) { return std::span<Byte>(reinterpret_cast<Byte *>(&field), sizeof(field)); };
  if (regno < 16) return bytes_of(r.gpr[regno]);
  if (regno >= kFirstStRegno && regno < kFirstStRegno + 8) return bytes_of(r.st[regno - kFirstStRegno]);
  if (regno >= kFirstXmmRegno && regno < kFirstXmmRegno + 16) return bytes_of(r.xmm[regno - kFirstXmmRegno]);
  switch (regno) {
    case kRipRegno: return bytes_of(r.rip);
    case kEflagsRegno: return bytes_of(r.eflags);
    case 18: return bytes_of(r.cs);
    case 19: return bytes_of(r.ss);
    case 20: return bytes_of(r.ds);
    case 21: return bytes_of(r.es);
    case 22: return bytes_of(r.fs);
    case 23: return bytes_of(r.gs);
    case 32: return bytes_of(r.fctrl);
    case 33: return bytes_of(r.fstat);
    case 34: return bytes_of(r.ftag);
    case 35: return bytes_of(r.fiseg);
    case 36: return bytes_of(r.fioff);
    case 37: return bytes_of(r.foseg);
    case 38: return bytes_of(r.fooff);
    case 39: return bytes_of(r.fop);
    case kMxcsrRegno: return bytes_of(r.mxcsr);
    case kFsBaseRegno: return bytes_of(r.fs_base);
    case kGsBaseRegno: return bytes_of(r.gs_base);
    default: return std::span<Byte>();
  }
}

// The <reg> element for regno with the given gdb type and optional group.
void append_register(std::string &xml, uint32_t regno, std::string_view type, std::string_view group = {}) {
  xml += "    <reg name=\"";
  xml += kRegisterNames[regno];
  xml += "\" bitsize=\"";
  xml += std::to_string(register_size(regno) * 8);
  xml += "\" type=\"";
  xml += type;
  xml += "\" regnum=\"";
  xml += std::to_string(regno);
  xml += '"';
  if (!group.empty()) {
    xml += " group=\"";
    xml += group;
    xml += '"';
  }
  xml += "/>\n";
}

// The flags types of gdb's 64bit-core.xml and 64bit-sse.xml.
void append_flags(std::string &xml, std::string_view id, std::initializer_list<std::pair<std::string_view, int>> bits) {
  xml += "    <flags id=\"";
  xml += id;
  xml += "\" size=\"4\">\n";
  for (const auto &[name, bit] : bits) {
    xml += "      <field name=\"";
    xml += name;
    xml += "\" start=\"" + std::to_string(bit) + "\" end=\"" + std::to_string(bit) + "\"/>\n";
  }
  xml += "    </flags>\n";
}

std::string build_target_description() {
  std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n"
      "  <architecture>i386:x86-64</architecture>\n"
      "  <feature name=\"org.gnu.gdb.i386.core\">\n";
  append_flags(xml, "i386_eflags",
               {{"CF", 0},
                {"", 1},
                {"PF", 2},
                {"AF", 4},
                {"ZF", 6},
                {"SF", 7},
                {"TF", 8},
                {"IF", 9},
                {"DF", 10},
                {"OF", 11},
                {"NT", 14},
                {"RF", 16},
                {"VM", 17},
                {"AC", 18},
                {"VIF", 19},
                {"VIP", 20},
                {"ID", 21}});
  for (uint32_t regno = 0; regno < 16; ++regno) {
    const bool pointer = kRegisterNames[regno] == "rbp" || kRegisterNames[regno] == "rsp";
    append_register(xml, regno, pointer ? "data_ptr" : "int64");
  }
  append_register(xml, kRipRegno, "code_ptr");
  append_register(xml, kEflagsRegno, "i386_eflags");
  for (uint32_t regno = 18; regno < kFirstStRegno; ++regno) append_register(xml, regno, "int32");
  for (uint32_t regno = kFirstStRegno; regno < kFirstStRegno + 8; ++regno) append_register(xml, regno, "i387_ext");
  for (uint32_t regno = 32; regno < kFirstXmmRegno; ++regno) append_register(xml, regno, "int", "float");
  xml +=
      "  </feature>\n"
      "  <feature name=\"org.gnu.gdb.i386.sse\">\n"
      // The vec128 of gdb 8 to 11; later versions add bfloat16 and half
      // vectors, types the older ones do not know.
      "    <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
      "    <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
      "    <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
      "    <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
      "    <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
      "    <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
      "    <union id=\"vec128\">\n"
      "      <field name=\"v4_float\" type=\"v4f\"/>\n"
      "      <field name=\"v2_double\" type=\"v2d\"/>\n"
      "      <field name=\"v16_int8\" type=\"v16i8\"/>\n"
      "      <field name=\"v8_int16\" type=\"v8i16\"/>\n"
      "      <field name=\"v4_int32\" type=\"v4i32\"/>\n"
      "      <field name=\"v2_int64\" type=\"v2i64\"/>\n"
      "      <field name=\"uint128\" type=\"uint128\"/>\n"
      "    </union>\n";
  append_flags(xml, "i386_mxcsr",
               {{"IE", 0},
                {"DE", 1},
                {"ZE", 2},
                {"OE", 3},
                {"UE", 4},
                {"PE", 5},
                {"DAZ", 6},
                {"IM", 7},
                {"DM", 8},
                {"ZM", 9},
                {"OM", 10},
                {"UM", 11},
                {"PM", 12},
                {"FZ", 15}});
  for (uint32_t regno = kFirstXmmRegno; regno < kMxcsrRegno; ++regno) append_register(xml, regno, "vec128");
  append_register(xml, kMxcsrRegno, "i386_mxcsr", "vector");
  xml +=
      "  </feature>\n"
      "  <feature name=\"org.gnu.gdb.i386.segments\">\n";
  append_register(xml, kFsBaseRegno, "int");
  append_register(xml, kGsBaseRegno, "int");
  xml +=
      "  </feature>\n"
      "</target>\n";
  return xml;
}

}  // namespace

size_t register_size(uint32_t regno) {
  const X86Registers registers{};
  return register_bytes(registers, regno).size();
}

std::string_view register_name(uint32_t regno) { return regno < kRegisterCount ? kRegisterNames[regno] : ""; }

std::string encode_registers(const X86Registers &registers) {
  std::string hex;
  hex.reserve(kRegisterFileBytes * 2);
  for (uint32_t regno = 0; regno < kRegisterCount; ++regno) hex += hex_encode(register_bytes(registers, regno));
  return hex;
}

bool decode_registers(std::span<const uint8_t> bytes, X86Registers &registers) {
  if (bytes.size() != kRegisterFileBytes) return false;
  for (uint32_t regno = 0; regno < kRegisterCount; ++regno) {
    const auto target = register_bytes(registers, regno);
    std::memcpy(target.data(), bytes.data(), target.size());
    bytes = bytes.subspan(target.size());
  }
  return true;
}

bool encode_register(const X86Registers &registers, uint32_t regno, std::string &hex) {
  if (regno >= kRegisterCount) return false;
  hex = hex_encode(register_bytes(registers, regno));
  return true;
}

bool decode_register(X86Registers &registers, uint32_t regno, std::span<const uint8_t> bytes) {
  if (regno >= kRegisterCount) return false;
  const auto target = register_bytes(registers, regno);
  if (bytes.size() != target.size()) return false;
  std::memcpy(target.data(), bytes.data(), target.size());
  return true;
}

const std::string &target_description_xml() {
  static const std::string xml = build_target_description();
  return xml;
}

std::string xfer_reply(std::string_view document, uint64_t offset, uint64_t length) {
  if (offset >= document.size()) return "l";
  const std::string_view chunk = document.substr(offset, std::min<uint64_t>(length, document.size() - offset));
  const bool last = offset + chunk.size() >= document.size();
  std::string reply(last ? "l" : "m");
  reply += chunk;
  return reply;
}

}  // namespace hl::debug
