// Writes small synthetic guest ELFs that ElfImage::parse accepts, as dense
// seeds for fuzz_elf_image next to the real test guests (whose page-aligned
// segments make them ~17 KiB even stripped). Each is a few hundred bytes:
// ELF header, program headers, a little code, two pointers with
// R_X86_64_RELATIVE relocations, their RELA table and a PT_DYNAMIC. Each is
// checked with ElfImage::parse before it is written.
// Usage: fuzz_elf_seeds OUTPUT_DIR   (scripts/sanitize-and-fuzz.sh runs it)
#include <elf.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "mem/elf_image.h"
#include "static_pie_header.h"

namespace {

// File layout shared by both seeds (file offsets); room for four program headers.
constexpr uint64_t kPhoff = sizeof(Elf64_Ehdr);
constexpr uint64_t kCode = 0x140;     // 16 bytes of code
constexpr uint64_t kData = 0x150;     // two 8-byte pointers to relocate
constexpr uint64_t kRela = 0x160;     // two Elf64_Rela
constexpr uint64_t kDynamic = 0x190;  // four Elf64_Dyn
constexpr uint64_t kEnd = 0x1d0;

template <typename T>
void put(std::vector<uint8_t> &file, uint64_t offset, const T &v) {
  std::memcpy(file.data() + offset, &v, sizeof v);
}

Elf64_Phdr phdr(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz, uint64_t memsz,
                uint64_t align) {
  Elf64_Phdr p{};
  p.p_type = type;
  p.p_flags = flags;
  p.p_offset = offset;
  p.p_vaddr = vaddr;
  p.p_paddr = vaddr;
  p.p_filesz = filesz;
  p.p_memsz = memsz;
  p.p_align = align;
  return p;
}

// data_vaddr: where the file's bytes from kData on are loaded.
std::vector<uint8_t> make(const std::vector<Elf64_Phdr> &phdrs, uint64_t data_vaddr) {
  std::vector<uint8_t> file(kEnd, 0);
  const Elf64_Ehdr eh = hl::testing::static_pie_header(static_cast<uint16_t>(phdrs.size()), kCode);
  put(file, 0, eh);
  for (size_t i = 0; i < phdrs.size(); i++) put(file, kPhoff + i * sizeof(Elf64_Phdr), phdrs[i]);

  static const uint8_t kCodeBytes[16] = {0x31, 0xc0, 0xc3, 0xf4, 0x90, 0x90, 0x90, 0x90,
                                         0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
  std::memcpy(file.data() + kCode, kCodeBytes, sizeof kCodeBytes);
  auto vaddr = [&](uint64_t offset) { return data_vaddr + (offset - kData); };
  for (uint64_t i = 0; i < 2; i++) {
    Elf64_Rela r{};
    r.r_offset = vaddr(kData + 8 * i);
    r.r_info = ELF64_R_INFO(0, R_X86_64_RELATIVE);
    r.r_addend = static_cast<int64_t>(i == 0 ? kCode : vaddr(kData));
    put(file, kRela + i * sizeof(Elf64_Rela), r);
  }
  const Elf64_Dyn dyn[4] = {{DT_RELA, {vaddr(kRela)}},
                            {DT_RELASZ, {2 * sizeof(Elf64_Rela)}},
                            {DT_RELAENT, {sizeof(Elf64_Rela)}},
                            {DT_NULL, {0}}};
  for (size_t i = 0; i < 4; i++) put(file, kDynamic + i * sizeof(Elf64_Dyn), dyn[i]);
  return file;
}

bool save(const std::string &path, const std::vector<uint8_t> &bytes) {
  try {
    hl::mem::ElfImage img = hl::mem::ElfImage::parse(bytes);
    if (img.relocation_count() != 2) {
      std::fprintf(stderr, "fuzz_elf_seeds: %s: %zu relocations, expected 2\n", path.c_str(), img.relocation_count());
      return false;
    }
  } catch (const hl::Error &e) {
    std::fprintf(stderr, "fuzz_elf_seeds: %s is rejected: %s\n", path.c_str(), e.what());
    return false;
  }
  std::FILE *f = std::fopen(path.c_str(), "wb");
  bool ok = f != nullptr && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (f != nullptr && std::fclose(f) != 0) ok = false;
  if (!ok) std::fprintf(stderr, "fuzz_elf_seeds: cannot write %s\n", path.c_str());
  return ok;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;

  // One R-X segment holding everything, plus a page of .bss (the loader
  // writes the relocations; W^X forbids a segment the guest could too).
  ok &= save(dir + "/one_segment.elf",
             make({phdr(PT_LOAD, PF_R | PF_X, 0, 0, kEnd, kEnd + 0x1000, 0x1000),
                   phdr(PT_DYNAMIC, PF_R | PF_W, kDynamic, kDynamic, kEnd - kDynamic, kEnd - kDynamic, 8)},
                  kData));

  // Code (R+X) in the first page; data, RELA and dynamic (R+W) one page up,
  // at the same offset within the page, with some .bss.
  constexpr uint64_t kDataVaddr = 0x1000 + kData;
  ok &= save(dir + "/two_segments.elf",
             make({phdr(PT_LOAD, PF_R | PF_X, 0, 0, kData, kData, 0x1000),
                   phdr(PT_LOAD, PF_R | PF_W, kData, kDataVaddr, kEnd - kData, kEnd - kData + 0x200, 0x1000),
                   phdr(PT_DYNAMIC, PF_R | PF_W, kDynamic, kDataVaddr + (kDynamic - kData), kEnd - kDynamic,
                        kEnd - kDynamic, 8),
                   phdr(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16)},
                  kDataVaddr));
  return ok ? 0 : 1;
}
