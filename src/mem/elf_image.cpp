#include "mem/elf_image.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "common/error.h"

namespace hl::mem {
namespace {

constexpr uint64_t kMaxAlignment = 2ull << 20;

[[noreturn]] void invalid(const std::string &why) { throw Error(ErrorCode::kInvalidElf, "invalid guest ELF: " + why); }

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

// True if [offset, offset + size) lies inside a buffer of length total.
bool within(uint64_t offset, uint64_t size, uint64_t total) { return offset <= total && size <= total - offset; }

// "R-X" and the like, as readelf shows a segment's flags.
std::string flags_text(uint32_t flags) {
  return {(flags & PF_R) ? 'R' : '-', (flags & PF_W) ? 'W' : '-', (flags & PF_X) ? 'X' : '-'};
}

// W^X: a page the guest can both write and execute would let it write code
// and run it. A segment that is both is refused, and so are code and data
// that share a page: its one page-table entry would have to be writable and
// executable, or break one of them (the later mapping wins in the tables).
void check_write_xor_execute(const std::vector<Elf64_Phdr> &phdrs) {
  struct Span {
    uint64_t first_page, end_page;  // page-rounded [begin, end)
    const Elf64_Phdr *ph;
  };
  std::vector<Span> spans;
  for (const Elf64_Phdr &ph : phdrs) {
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
      invalid(
          format("PT_LOAD [0x%llx, +0x%llx) is both writable and executable (RWX), which guest memory never is "
                 "(W^X); keep code and data in separate segments: link with -z separate-code (hl_add_guest "
                 "does), not with -N/--omagic, and give no linker-script section or PHDRS entry both write and "
                 "execute permission",
                 ull(ph.p_vaddr), ull(ph.p_memsz)));
    spans.push_back({ph.p_vaddr & ~(kPageSize - 1), page_round_up(ph.p_vaddr + ph.p_memsz), &ph});
  }
  // In address order, a segment shares a page with an earlier one exactly
  // when that one reaches past its first page; checking the writable and the
  // executable segment that reach furthest so far covers every pair.
  std::sort(spans.begin(), spans.end(), [](const Span &a, const Span &b) { return a.first_page < b.first_page; });
  const Span *writable = nullptr, *executable = nullptr;
  for (const Span &s : spans) {
    const bool w = (s.ph->p_flags & PF_W) != 0, x = (s.ph->p_flags & PF_X) != 0;
    const Span *other = x ? writable : w ? executable : nullptr;
    if (other != nullptr && other->end_page > s.first_page)
      invalid(
          format("PT_LOAD segments [0x%llx, +0x%llx) %s and [0x%llx, +0x%llx) %s share the page at 0x%llx, "
                 "which would have to be both writable and executable (W^X forbids it); link with "
                 "-z separate-code so that code and data start on pages of their own",
                 ull(other->ph->p_vaddr), ull(other->ph->p_memsz), flags_text(other->ph->p_flags).c_str(),
                 ull(s.ph->p_vaddr), ull(s.ph->p_memsz), flags_text(s.ph->p_flags).c_str(), ull(s.first_page)));
    if (w && (writable == nullptr || s.end_page > writable->end_page)) writable = &s;
    if (x && (executable == nullptr || s.end_page > executable->end_page)) executable = &s;
  }
}

template <typename T>
T read_at(std::span<const uint8_t> file, uint64_t offset) {
  T v;
  std::memcpy(&v, file.data() + offset, sizeof v);
  return v;
}

}  // namespace

ElfImage ElfImage::parse(std::span<const uint8_t> file) {
  if (file.size() < sizeof(Elf64_Ehdr)) invalid(format("file is %zu bytes, shorter than an ELF header", file.size()));
  const auto eh = read_at<Elf64_Ehdr>(file, 0);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) invalid("no ELF magic number");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) invalid("not a 64-bit ELF (ELFCLASS64 required)");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) invalid("not little-endian");
  if (eh.e_machine != EM_X86_64) invalid(format("machine %u is not x86-64 (EM_X86_64)", eh.e_machine));
  if (eh.e_type == ET_EXEC)
    invalid("not position-independent (ET_EXEC); build the guest with -fPIE -static-pie (hl_add_guest)");
  if (eh.e_type != ET_DYN) invalid(format("ELF type %u is not an executable (ET_DYN)", eh.e_type));
  if (eh.e_phentsize != sizeof(Elf64_Phdr))
    invalid(format("program header size %u, expected %zu", eh.e_phentsize, sizeof(Elf64_Phdr)));
  if (eh.e_phnum == 0 || !within(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), file.size()))
    invalid("program headers missing or truncated");

  ElfImage img;
  std::vector<Elf64_Phdr> phdrs;
  for (uint64_t i = 0; i < eh.e_phnum; i++)
    phdrs.push_back(read_at<Elf64_Phdr>(file, eh.e_phoff + i * sizeof(Elf64_Phdr)));

  uint64_t lowest = UINT64_MAX, highest = 0;
  const Elf64_Phdr *dynamic = nullptr;
  for (const Elf64_Phdr &ph : phdrs) {
    if (ph.p_type == PT_INTERP) invalid("has an interpreter (PT_INTERP); link with -static-pie");
    if (ph.p_type == PT_TLS) invalid("uses thread-local storage (PT_TLS), which guests cannot have");
    if (ph.p_type == PT_DYNAMIC) dynamic = &ph;
    if (ph.p_type != PT_LOAD) continue;
    if (ph.p_filesz > ph.p_memsz) invalid("PT_LOAD with p_filesz > p_memsz");
    if (!within(ph.p_offset, ph.p_filesz, file.size()))
      invalid(format("PT_LOAD at file offset 0x%llx (+0x%llx) is past the end of the file (%zu bytes)",
                     ull(ph.p_offset), ull(ph.p_filesz), file.size()));
    if (ph.p_vaddr > kMaxImage || ph.p_memsz > kMaxImage - ph.p_vaddr)
      invalid(format("PT_LOAD [0x%llx, +0x%llx) lies beyond the %llu MiB image limit", ull(ph.p_vaddr), ull(ph.p_memsz),
                     ull(kMaxImage >> 20)));
    if (ph.p_align > 1) {
      if ((ph.p_align & (ph.p_align - 1)) != 0) invalid("PT_LOAD alignment is not a power of two");
      if (ph.p_align > kMaxAlignment) invalid("PT_LOAD alignment above 2 MiB");
      img.alignment_ = std::max(img.alignment_, ph.p_align);
    }
    lowest = std::min(lowest, ph.p_vaddr & ~(kPageSize - 1));
    highest = std::max(highest, ph.p_vaddr + ph.p_memsz);
  }
  if (highest == 0) invalid("no loadable segment (PT_LOAD)");
  if (lowest != 0) invalid(format("first PT_LOAD at 0x%llx; a static-PIE starts at 0", ull(lowest)));
  img.size_ = page_round_up(highest);
  check_write_xor_execute(phdrs);

  for (const Elf64_Phdr &ph : phdrs) {
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    img.loads_.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr, ph.p_memsz});
    uint64_t start = ph.p_vaddr & ~(kPageSize - 1);
    img.segments_.push_back({start, page_round_up(ph.p_vaddr + ph.p_memsz) - start,
                             PagePermissions{true, (ph.p_flags & PF_W) != 0, (ph.p_flags & PF_X) != 0}});
  }

  bool entry_ok = false;
  for (const Elf64_Phdr &ph : phdrs)
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && eh.e_entry >= ph.p_vaddr && eh.e_entry < ph.p_vaddr + ph.p_memsz)
      entry_ok = true;
  if (!entry_ok) invalid(format("entry point 0x%llx is not in an executable segment", ull(eh.e_entry)));
  img.entry_ = eh.e_entry;

  // Maps a virtual address range to its bytes in the file, if it has any.
  auto file_offset_of = [&](uint64_t vaddr, uint64_t size) -> uint64_t {
    for (const Load &l : img.loads_)
      if (vaddr >= l.image_offset && size <= l.file_size && vaddr - l.image_offset <= l.file_size - size)
        return l.file_offset + (vaddr - l.image_offset);
    invalid(format("address 0x%llx (+0x%llx) is not backed by a PT_LOAD segment", ull(vaddr), ull(size)));
  };

  if (dynamic != nullptr) {
    if (!within(dynamic->p_offset, dynamic->p_filesz, file.size())) invalid("PT_DYNAMIC is truncated");
    uint64_t rela = 0, rela_size = 0, rela_entry = sizeof(Elf64_Rela);
    bool has_rela = false;
    for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= dynamic->p_filesz; off += sizeof(Elf64_Dyn)) {
      const auto d = read_at<Elf64_Dyn>(file, dynamic->p_offset + off);
      if (d.d_tag == DT_NULL) break;
      switch (d.d_tag) {
        case DT_RELA:
          rela = d.d_un.d_ptr;
          has_rela = true;
          break;
        case DT_RELASZ: rela_size = d.d_un.d_val; break;
        case DT_RELAENT: rela_entry = d.d_un.d_val; break;
        case DT_NEEDED: invalid("needs shared libraries (DT_NEEDED); link with -static-pie -nostdlib");
        case DT_REL: invalid("uses REL relocations; only RELA (R_X86_64_RELATIVE) is supported");
        case DT_RELR: invalid("uses RELR relocations; link without -z pack-relative-relocs");
        case DT_PLTRELSZ:
          if (d.d_un.d_val != 0) invalid("has PLT relocations (imports); guests must be self-contained");
          break;
        default: break;
      }
    }
    if (rela_entry != sizeof(Elf64_Rela)) invalid("DT_RELAENT is not sizeof(Elf64_Rela)");
    if (has_rela && rela_size > 0) {
      if (rela_size % sizeof(Elf64_Rela) != 0) invalid("DT_RELASZ is not a multiple of the entry size");
      uint64_t table = file_offset_of(rela, rela_size);
      for (uint64_t off = 0; off < rela_size; off += sizeof(Elf64_Rela)) {
        const auto r = read_at<Elf64_Rela>(file, table + off);
        const uint32_t type = ELF64_R_TYPE(r.r_info);
        if (type == R_X86_64_NONE) continue;
        if (type != R_X86_64_RELATIVE)
          invalid(format("unsupported relocation type %u at 0x%llx (only R_X86_64_RELATIVE)", type, ull(r.r_offset)));
        bool inside = false;
        for (const Load &l : img.loads_)
          if (r.r_offset >= l.image_offset && l.mem_size >= 8 && r.r_offset - l.image_offset <= l.mem_size - 8)
            inside = true;
        if (!inside) invalid(format("relocation target 0x%llx is outside every PT_LOAD", ull(r.r_offset)));
        img.relocations_.push_back({r.r_offset, r.r_addend});
      }
    }
  }
  img.file_.assign(file.begin(), file.end());
  return img;
}

void ElfImage::load(std::span<uint8_t> dest, uint64_t base) const {
  if (dest.size() < size_) throw Error(ErrorCode::kInternal, "ELF destination smaller than the image");
  // No memset: dest is already zero (see the header), and writing the .bss
  // would commit every page of it, however large, in every sandbox.
  for (const Load &l : loads_) std::memcpy(dest.data() + l.image_offset, file_.data() + l.file_offset, l.file_size);
  for (const Relocation &r : relocations_) {
    uint64_t value = base + static_cast<uint64_t>(r.addend);
    std::memcpy(dest.data() + r.image_offset, &value, sizeof value);
  }
}

}  // namespace hl::mem
