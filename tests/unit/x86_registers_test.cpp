// The register file gdb sees: 'g'/'G' and 'p'/'P' encodings round-trip and
// follow the regnum layout; target.xml is well-formed, names the 59
// registers with regnums 0..58 in that layout, and real gdb accepts it with
// the same numbers and g-packet offsets; qXfer replies cut it correctly.
#include "debug/x86_registers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "debug/gdb_command.h"

namespace hl::debug {
namespace {

// Every byte of the register file distinct-ish, so misplaced bytes show.
X86Registers patterned_registers() {
  X86Registers registers;
  auto *bytes = reinterpret_cast<uint8_t *>(&registers);
  for (size_t i = 0; i < sizeof registers; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  return registers;
}

bool equal(const X86Registers &a, const X86Registers &b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<uint8_t> hex_to_bytes(const std::string &hex) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

TEST(x86_registers, SizesAddUpToTheRegisterFile) {
  size_t total = 0;
  for (uint32_t regno = 0; regno < kRegisterCount; ++regno) {
    EXPECT_NE(register_size(regno), 0u) << regno;
    EXPECT_FALSE(register_name(regno).empty()) << regno;
    total += register_size(regno);
  }
  EXPECT_EQ(total, kRegisterFileBytes);
  EXPECT_EQ(register_size(kRegisterCount), 0u);
  EXPECT_EQ(register_size(0xffffffffu), 0u);
  EXPECT_EQ(register_name(kRegisterCount), "");
}

TEST(x86_registers, EncodesInRegnumOrderLittleEndian) {
  X86Registers registers{};
  registers.gpr[0] = 0x1122334455667788;  // rax
  registers.gpr[7] = 0x00007ffc12345678;  // rsp
  registers.rip = 0x401000;
  registers.eflags = 0x246;
  registers.cs = 0x2b;
  registers.st[0][9] = 0x40;
  registers.xmm[15][0] = 0xab;
  registers.mxcsr = 0x1f80;
  registers.fs_base = 0xdeadbeef;
  registers.gs_base = 0xffffffff81000000;
  const std::string hex = encode_registers(registers);
  ASSERT_EQ(hex.size(), kRegisterFileBytes * 2);
  EXPECT_EQ(hex.substr(0, 16), "8877665544332211");
  EXPECT_EQ(hex.substr(7 * 16, 16), "78563412fc7f0000");
  EXPECT_EQ(hex.substr(16 * 16, 16), "0010400000000000");  // rip
  EXPECT_EQ(hex.substr(17 * 16, 8), "46020000");           // eflags
  EXPECT_EQ(hex.substr(17 * 16 + 8, 8), "2b000000");       // cs
  const size_t st0 = (17 * 8 + 4 + 6 * 4) * 2;
  EXPECT_EQ(hex.substr(st0, 20), "00000000000000000040");
  EXPECT_EQ(hex.substr(hex.size() - 32, 16), "efbeadde00000000");  // fs_base
  EXPECT_EQ(hex.substr(hex.size() - 16, 16), "00000081ffffffff");  // gs_base
  EXPECT_EQ(hex.substr(hex.size() - 40, 8), "801f0000");           // mxcsr
  EXPECT_EQ(hex.substr(hex.size() - 72, 2), "ab");                 // xmm15's low byte
}

TEST(x86_registers, AllRegistersRoundTrip) {
  const X86Registers original = patterned_registers();
  const std::string hex = encode_registers(original);
  // 'G' hex goes through parse_command, as the session does it.
  const GdbCommand command = parse_command("G" + hex);
  ASSERT_EQ(command.kind, GdbCommand::Kind::kWriteRegisters);
  X86Registers decoded{};
  ASSERT_TRUE(decode_registers(command.data, decoded));
  EXPECT_TRUE(equal(decoded, original));
  EXPECT_EQ(encode_registers(decoded), hex);
}

TEST(x86_registers, WrongSizeWriteIsRefusedAndChangesNothing) {
  const X86Registers original = patterned_registers();
  X86Registers registers = original;
  std::vector<uint8_t> bytes(kRegisterFileBytes - 1, 0xee);
  EXPECT_FALSE(decode_registers(bytes, registers));
  bytes.resize(kRegisterFileBytes + 1, 0xee);
  EXPECT_FALSE(decode_registers(bytes, registers));
  EXPECT_FALSE(decode_registers({}, registers));
  EXPECT_TRUE(equal(registers, original));
}

TEST(x86_registers, EachRegisterRoundTripsAndMatchesTheFullEncoding) {
  const X86Registers original = patterned_registers();
  const std::string all = encode_registers(original);
  size_t offset = 0;
  for (uint32_t regno = 0; regno < kRegisterCount; ++regno) {
    std::string hex;
    ASSERT_TRUE(encode_register(original, regno, hex)) << regno;
    ASSERT_EQ(hex.size(), register_size(regno) * 2) << regno;
    EXPECT_EQ(hex, all.substr(offset, hex.size())) << regno;
    offset += hex.size();

    // 'P' with new bytes changes exactly that register.
    X86Registers registers = original;
    std::vector<uint8_t> value(register_size(regno));
    for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<uint8_t>(0xc0 + i);
    ASSERT_TRUE(decode_register(registers, regno, value)) << regno;
    std::string written;
    ASSERT_TRUE(encode_register(registers, regno, written));
    EXPECT_EQ(hex_to_bytes(written), value) << regno;
    for (uint32_t other = 0; other < kRegisterCount; ++other) {
      if (other == regno) continue;
      std::string before;
      std::string after;
      encode_register(original, other, before);
      encode_register(registers, other, after);
      EXPECT_EQ(before, after) << regno << " changed " << other;
    }
  }
  EXPECT_EQ(offset, all.size());
}

TEST(x86_registers, UnknownRegisterOrWrongSizeIsRefused) {
  X86Registers registers = patterned_registers();
  const X86Registers original = registers;
  std::string hex = "unchanged";
  EXPECT_FALSE(encode_register(registers, kRegisterCount, hex));
  EXPECT_FALSE(encode_register(registers, 0xffffffffu, hex));
  EXPECT_EQ(hex, "unchanged");
  const std::vector<uint8_t> eight(8, 1);
  const std::vector<uint8_t> four(4, 1);
  EXPECT_FALSE(decode_register(registers, kRegisterCount, eight));
  EXPECT_FALSE(decode_register(registers, 0, four));               // rax is 8 bytes
  EXPECT_FALSE(decode_register(registers, kEflagsRegno, eight));   // eflags is 4
  EXPECT_FALSE(decode_register(registers, kFirstStRegno, eight));  // st0 is 10
  EXPECT_FALSE(decode_register(registers, kFirstXmmRegno, {}));
  EXPECT_TRUE(equal(registers, original));
}

// The registers target.xml names, in document order: name -> (regnum, bitsize).
struct XmlRegister {
  std::string name;
  uint32_t regnum;
  uint32_t bitsize;
};

// The value of attribute name="..." inside one <reg .../> element.
std::string attribute(const std::string &element, const std::string &name) {
  const std::string key = " " + name + "=\"";
  const size_t at = element.find(key);
  if (at == std::string::npos) return "";
  const size_t begin = at + key.size();
  return element.substr(begin, element.find('"', begin) - begin);
}

// (No std::regex: gcc 12's -Wmaybe-uninitialized misfires inside it in the sanitizer builds.)
std::vector<XmlRegister> xml_registers(const std::string &xml) {
  std::vector<XmlRegister> registers;
  for (size_t at = xml.find("<reg "); at != std::string::npos; at = xml.find("<reg ", at + 1)) {
    const std::string element = xml.substr(at, xml.find('>', at) - at);
    const std::string regnum = attribute(element, "regnum"), bitsize = attribute(element, "bitsize");
    if (regnum.empty() || bitsize.empty() || attribute(element, "type").empty()) continue;
    registers.push_back({attribute(element, "name"), static_cast<uint32_t>(std::stoul(regnum)),
                         static_cast<uint32_t>(std::stoul(bitsize))});
  }
  return registers;
}

TEST(x86_registers, TargetDescriptionNamesEveryRegisterWithItsRegnum) {
  const std::string &xml = target_description_xml();
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\"?>", 0), 0u);
  EXPECT_NE(xml.find("<architecture>i386:x86-64</architecture>"), std::string::npos);
  for (const char *feature : {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.segments"}) {
    EXPECT_NE(xml.find(std::string("<feature name=\"") + feature + "\">"), std::string::npos) << feature;
  }
  size_t reg_elements = 0;
  for (size_t at = xml.find("<reg "); at != std::string::npos; at = xml.find("<reg ", at + 1)) ++reg_elements;
  const auto registers = xml_registers(xml);
  ASSERT_EQ(registers.size(), kRegisterCount);
  EXPECT_EQ(reg_elements, kRegisterCount);
  for (uint32_t regno = 0; regno < kRegisterCount; ++regno) {
    EXPECT_EQ(registers[regno].regnum, regno);
    EXPECT_EQ(registers[regno].name, register_name(regno));
    EXPECT_EQ(registers[regno].bitsize, register_size(regno) * 8) << registers[regno].name;
  }
  EXPECT_EQ(registers[16].name, "rip");
  EXPECT_EQ(registers[57].name, "fs_base");
  EXPECT_EQ(registers[58].name, "gs_base");
  EXPECT_NE(xml.find("name=\"rip\" bitsize=\"64\" type=\"code_ptr\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"st0\" bitsize=\"80\" type=\"i387_ext\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"xmm0\" bitsize=\"128\" type=\"vec128\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\""), std::string::npos);
  // No character that frame_packet would have to escape, so a chunk's size is its packet's.
  EXPECT_EQ(xml.find_first_of("$#}*"), std::string::npos);
}

// Writes the description to a temporary file and returns its path.
std::string write_description_file() {
  char path[] = "/tmp/hl-target-xml-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  const std::string &xml = target_description_xml();
  EXPECT_EQ(write(fd, xml.data(), xml.size()), static_cast<ssize_t>(xml.size()));
  close(fd);
  return path;
}

// Runs a shell command, returning its exit status and output.
int run(const std::string &command, std::string &output) {
  FILE *pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  return pclose(pipe);
}

TEST(x86_registers, TargetDescriptionIsWellFormedXml) {
  const std::string path = write_description_file();
  std::string output;
  const int status =
      run("/usr/bin/python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' " + path, output);
  std::remove(path.c_str());
  EXPECT_EQ(status, 0) << output;
}

// gdb itself reads the description (set tdesc filename) and reports each
// register's number, its remote number and its offset in the g packet.
TEST(x86_registers, GdbAcceptsTheTargetDescription) {
  ASSERT_EQ(access("/usr/bin/gdb", X_OK), 0) << "gdb is not installed: scripts/install-deps.sh installs it";
  const std::string path = write_description_file();
  std::string output;
  const int status = run("/usr/bin/gdb -nx -batch -ex 'set tdesc filename " + path +
                             "' -ex 'set architecture i386:x86-64' -ex 'maint print remote-registers'",
                         output);
  std::remove(path.c_str());
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(output.find("warning"), std::string::npos) << output;
  EXPECT_EQ(output.find("rror"), std::string::npos) << output;
  // " Name  Nr  Rel Offset Size  Type  Rmt Nr  g/G Offset ..." rows.
  std::map<std::string, std::pair<long, long>> remote;  // name -> (remote number, g offset)
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string word; fields >> word;) words.push_back(word);
    // The last two columns; a type name may hold spaces.
    if (words.size() >= 8 && words[0] != "Name") {
      char *end = nullptr;
      const long number = std::strtol(words[words.size() - 2].c_str(), &end, 10);
      if (*end != '\0') continue;
      const long offset = std::strtol(words.back().c_str(), &end, 10);
      if (*end != '\0') continue;
      remote[words[0]] = {number, offset};
    }
  }
  long offset = 0;
  for (uint32_t regno = 0; regno < kRegisterCount; ++regno) {
    const std::string name(register_name(regno));
    const auto found = remote.find(name);
    ASSERT_NE(found, remote.end()) << name << " missing from:\n" << output;
    EXPECT_EQ(found->second.first, static_cast<long>(regno)) << name;
    EXPECT_EQ(found->second.second, offset) << name;
    offset += static_cast<long>(register_size(regno));
  }
}

TEST(x86_registers, XferReplyCutsTheDocument) {
  const std::string_view document = "0123456789";
  EXPECT_EQ(xfer_reply(document, 0, 4), "m0123");
  EXPECT_EQ(xfer_reply(document, 4, 4), "m4567");
  EXPECT_EQ(xfer_reply(document, 8, 4), "l89");
  EXPECT_EQ(xfer_reply(document, 6, 4), "l6789");
  EXPECT_EQ(xfer_reply(document, 0, 100), "l0123456789");
  EXPECT_EQ(xfer_reply(document, 10, 4), "l");
  EXPECT_EQ(xfer_reply(document, 11, 4), "l");
  EXPECT_EQ(xfer_reply(document, ~0ull, ~0ull), "l");
  EXPECT_EQ(xfer_reply(document, 3, ~0ull), "l3456789");
  EXPECT_EQ(xfer_reply(document, 3, 0), "m");
  EXPECT_EQ(xfer_reply("", 0, 10), "l");
}

TEST(x86_registers, XferReadsReassembleTheDescription) {
  const std::string &xml = target_description_xml();
  std::string reassembled;
  for (uint64_t offset = 0;;) {
    const std::string reply = xfer_reply(xml, offset, 0x3fb);
    reassembled += reply.substr(1);
    offset += reply.size() - 1;
    if (reply[0] == 'l') break;
    ASSERT_EQ(reply[0], 'm');
  }
  EXPECT_EQ(reassembled, xml);
}

}  // namespace
}  // namespace hl::debug
