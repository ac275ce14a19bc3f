// The loader accepts the real test guest and rejects broken or foreign ELFs
// with HL_ERROR_INVALID_ELF and a message saying why.
#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "common/error.h"
#include "mem/elf_image.h"
#include "static_pie_header.h"

namespace {

using hl::mem::ElfImage;

std::vector<uint8_t> guest_bytes() {
  std::ifstream f(HL_SIMPLEGUEST_PATH, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Expects parse() to fail with INVALID_ELF and a message containing `why`.
void expect_rejected(const std::vector<uint8_t> &bytes, const char *why) {
  try {
    ElfImage::parse(bytes);
    FAIL() << "accepted; expected: " << why;
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kInvalidElf);
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

// One PT_LOAD of a synthetic guest: flags (PF_*), where it goes, how big.
struct Load {
  uint32_t flags;
  uint64_t vaddr, memsz;
};

// A minimal static-PIE with these PT_LOADs and nothing else: no file bytes
// (each segment is all .bss), the entry point at the first executable one.
std::vector<uint8_t> synthetic_elf(const std::vector<Load> &loads) {
  std::vector<uint8_t> file(sizeof(Elf64_Ehdr) + loads.size() * sizeof(Elf64_Phdr));
  uint64_t entry = 0;
  for (const Load &l : loads)
    if (l.flags & PF_X) {
      entry = l.vaddr;
      break;
    }
  const Elf64_Ehdr eh = hl::testing::static_pie_header(static_cast<uint16_t>(loads.size()), entry);
  std::memcpy(file.data(), &eh, sizeof eh);
  for (size_t i = 0; i < loads.size(); i++) {
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = loads[i].flags;
    ph.p_vaddr = ph.p_paddr = loads[i].vaddr;
    ph.p_memsz = loads[i].memsz;
    ph.p_align = 0x1000;
    std::memcpy(file.data() + sizeof eh + i * sizeof ph, &ph, sizeof ph);
  }
  return file;
}

TEST(ElfImage, LoadsTheTestGuestWithRelocations) {
  std::vector<uint8_t> bytes = guest_bytes();
  ASSERT_GT(bytes.size(), 0u) << HL_SIMPLEGUEST_PATH;
  ElfImage img = ElfImage::parse(bytes);
  EXPECT_GT(img.size(), 0u);
  EXPECT_EQ(img.size() % 4096, 0u);
  EXPECT_LT(img.entry_offset(), img.size());
  EXPECT_GT(img.relocation_count(), 0u) << "function-pointer tables need R_X86_64_RELATIVE";
  bool has_code = false;
  for (const auto &s : img.segments()) {
    EXPECT_FALSE(s.permissions.writable && s.permissions.executable) << "no W+X segment";
    has_code |= s.permissions.executable;
  }
  EXPECT_TRUE(has_code);

  // Loading at two bases differs exactly by the relocated words.
  std::vector<uint8_t> a(img.size()), b(img.size());
  img.load(a, 0x100000);
  img.load(b, 0x200000);
  size_t differing_words = 0;
  for (size_t i = 0; i + 8 <= a.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, &a[i], 8);
    std::memcpy(&y, &b[i], 8);
    if (x != y) {
      EXPECT_EQ(y - x, 0x100000u);
      differing_words++;
    }
  }
  EXPECT_EQ(differing_words, img.relocation_count());
}

// load() writes the file's bytes and relocations and nothing else: the rest
// of the image (.bss) must already read as zero, as fresh guest memory
// does, and is left untouched so that it costs no memory.
TEST(ElfImage, LoadWritesOnlyTheFileBackedBytes) {
  std::vector<uint8_t> bytes = guest_bytes();
  ElfImage img = ElfImage::parse(bytes);
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  std::vector<uint8_t> zeroed(img.size()), marked(img.size(), 0xEE);
  img.load(zeroed, 0x100000);
  img.load(marked, 0x100000);
  size_t bss_bytes = 0;
  for (uint16_t i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    std::memcpy(&ph, &bytes[eh.e_phoff + i * sizeof ph], sizeof ph);
    if (ph.p_type != PT_LOAD) continue;
    // The file-backed bytes match; the .bss after them was not written.
    EXPECT_EQ(std::memcmp(&zeroed[ph.p_vaddr], &marked[ph.p_vaddr], ph.p_filesz), 0);
    for (uint64_t a = ph.p_vaddr + ph.p_filesz; a < ph.p_vaddr + ph.p_memsz; a++, bss_bytes++) {
      ASSERT_EQ(zeroed[a], 0) << "at 0x" << std::hex << a;
      ASSERT_EQ(marked[a], 0xEE) << "load() wrote .bss at 0x" << std::hex << a;
    }
  }
  EXPECT_GT(bss_bytes, 0u) << "the test guest has a .bss";
}

TEST(ElfImage, RejectsGarbage) {
  expect_rejected({}, "shorter than an ELF header");
  expect_rejected(std::vector<uint8_t>(4096, 0xAB), "no ELF magic");
}

TEST(ElfImage, RejectsTruncatedFiles) {
  std::vector<uint8_t> bytes = guest_bytes();
  std::vector<uint8_t> header_only(bytes.begin(), bytes.begin() + sizeof(Elf64_Ehdr));
  expect_rejected(header_only, "program headers missing or truncated");
  // Cut the file one byte before the end of its last PT_LOAD's data.
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  uint64_t load_end = 0;
  for (uint16_t i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    std::memcpy(&ph, &bytes[eh.e_phoff + i * sizeof ph], sizeof ph);
    if (ph.p_type == PT_LOAD) load_end = std::max<uint64_t>(load_end, ph.p_offset + ph.p_filesz);
  }
  ASSERT_GT(load_end, sizeof(Elf64_Ehdr));
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(load_end - 1));
  expect_rejected(cut, "past the end of the file");
}

TEST(ElfImage, RejectsWrongMachineClassAndType) {
  std::vector<uint8_t> bytes = guest_bytes();
  auto patched = [&](auto edit) {
    std::vector<uint8_t> copy = bytes;
    Elf64_Ehdr eh;
    std::memcpy(&eh, copy.data(), sizeof eh);
    edit(eh);
    std::memcpy(copy.data(), &eh, sizeof eh);
    return copy;
  };
  expect_rejected(patched([](Elf64_Ehdr &eh) { eh.e_machine = EM_AARCH64; }), "is not x86-64");
  expect_rejected(patched([](Elf64_Ehdr &eh) { eh.e_ident[EI_CLASS] = ELFCLASS32; }), "not a 64-bit ELF");
  expect_rejected(patched([](Elf64_Ehdr &eh) { eh.e_type = ET_EXEC; }), "not position-independent");
  expect_rejected(patched([](Elf64_Ehdr &eh) { eh.e_type = ET_REL; }), "is not an executable");
  expect_rejected(patched([](Elf64_Ehdr &eh) { eh.e_entry = 0x7fffffff; }), "not in an executable segment");
  expect_rejected(patched([](Elf64_Ehdr &eh) { eh.e_phoff = 0xffffffffffff0000ull; }), "truncated");
}

TEST(ElfImage, RejectsAnInterpreter) {
  std::vector<uint8_t> bytes = guest_bytes();
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  // Turn the first non-LOAD program header into PT_INTERP.
  for (uint16_t i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    size_t off = eh.e_phoff + i * sizeof ph;
    std::memcpy(&ph, &bytes[off], sizeof ph);
    if (ph.p_type == PT_LOAD) continue;
    ph.p_type = PT_INTERP;
    std::memcpy(&bytes[off], &ph, sizeof ph);
    expect_rejected(bytes, "PT_INTERP");
    return;
  }
  FAIL() << "the test guest has no non-LOAD program header to patch";
}

// W^X: no guest page may be both writable and executable, or a guest could
// write code and run it.
TEST(ElfImage, RefusesAWritableAndExecutableSegment) {
  expect_rejected(synthetic_elf({{PF_R | PF_W | PF_X, 0, 0x3000}}), "both writable and executable");
  expect_rejected(synthetic_elf({{PF_R | PF_W | PF_X, 0, 0x3000}}), "-z separate-code");
  expect_rejected(synthetic_elf({{PF_R | PF_W | PF_X, 0, 0x3000}}), "-N/--omagic");

  // The real guest with its code segment made writable, as `ld -N` would.
  std::vector<uint8_t> bytes = guest_bytes();
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  bool patched = false;
  for (uint16_t i = 0; i < eh.e_phnum && !patched; i++) {
    Elf64_Phdr ph;
    size_t off = eh.e_phoff + i * sizeof ph;
    std::memcpy(&ph, &bytes[off], sizeof ph);
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
    ph.p_flags |= PF_W;
    std::memcpy(&bytes[off], &ph, sizeof ph);
    patched = true;
  }
  ASSERT_TRUE(patched) << "the test guest has no executable PT_LOAD";
  expect_rejected(bytes, "both writable and executable");
}

// Page tables give a page one set of permissions: code and data on one page
// would make it writable and executable (or break one of them).
TEST(ElfImage, RefusesCodeAndDataSharingAPage) {
  // Data right after code, in the code's last page.
  expect_rejected(synthetic_elf({{PF_R | PF_X, 0, 0x1800}, {PF_R | PF_W, 0x1800, 0x1000}}), "share the page at 0x1000");
  expect_rejected(synthetic_elf({{PF_R | PF_X, 0, 0x1800}, {PF_R | PF_W, 0x1800, 0x1000}}), "-z separate-code");
  // Both segments are named: their ranges and permissions.
  expect_rejected(synthetic_elf({{PF_R | PF_X, 0, 0x1800}, {PF_R | PF_W, 0x1800, 0x1000}}),
                  "[0x0, +0x1800) R-X and [0x1800, +0x1000) RW-");
  // Code right after data, and the headers out of address order.
  expect_rejected(synthetic_elf({{PF_R | PF_W, 0, 0x1100}, {PF_R | PF_X, 0x1100, 0x1000}}), "share the page at 0x1000");
  expect_rejected(synthetic_elf({{PF_R | PF_X, 0x2f00, 0x1000}, {PF_R, 0, 0x1000}, {PF_R | PF_W, 0x1000, 0x2000}}),
                  "share the page at 0x2000");
  // One segment inside another.
  expect_rejected(synthetic_elf({{PF_R | PF_X, 0, 0x4000}, {PF_R | PF_W, 0x2000, 0x10}}), "share the page at 0x2000");
}

TEST(ElfImage, AcceptsSegmentsThatKeepCodeAndDataOnSeparatePages) {
  // Adjacent pages, as -z separate-code lays them out.
  ElfImage img =
      ElfImage::parse(synthetic_elf({{PF_R, 0, 0x800}, {PF_R | PF_X, 0x1000, 0x1800}, {PF_R | PF_W, 0x3000, 0x10}}));
  ASSERT_EQ(img.segments().size(), 3u);
  for (const auto &s : img.segments()) EXPECT_FALSE(s.permissions.writable && s.permissions.executable);
  // Sharing a page is fine when it is not code with data: read-only data
  // next to code, or next to writable data.
  EXPECT_NO_THROW(ElfImage::parse(synthetic_elf({{PF_R | PF_X, 0, 0x1800}, {PF_R, 0x1800, 0x1000}})));
  EXPECT_NO_THROW(
      ElfImage::parse(synthetic_elf({{PF_R | PF_X, 0, 0x1000}, {PF_R, 0x1000, 0x900}, {PF_R | PF_W, 0x1900, 0x10}})));
}

}  // namespace
