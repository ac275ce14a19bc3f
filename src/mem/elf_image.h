// Loader for guest ELFs: x86-64, ELF64, little-endian, static-PIE (ET_DYN
// without an interpreter), R_X86_64_RELATIVE relocations only, and W^X: no
// segment both writable and executable, no page shared by a writable and an
// executable segment. Everything else is rejected with HL_ERROR_INVALID_ELF
// and a message saying why.
// Pure logic (no KVM): parse once, then load into any address.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mem/layout.h"

namespace hl::mem {

struct ElfSegment {
  uint64_t offset;  // from the image start, page-aligned down
  uint64_t size;    // page-rounded
  PagePermissions permissions;
};

class ElfImage {
 public:
  // Validates and keeps a copy of the file. Throws Error(HL_ERROR_INVALID_ELF).
  static ElfImage parse(std::span<const uint8_t> file);

  uint64_t size() const { return size_; }            // page-rounded span of PT_LOADs
  uint64_t alignment() const { return alignment_; }  // required load-address alignment
  uint64_t entry_offset() const { return entry_; }   // from the image start
  const std::vector<ElfSegment> &segments() const { return segments_; }
  size_t relocation_count() const { return relocations_.size(); }

  // Writes the image into dest (at least size() bytes), relocated to run at
  // base. Precondition: dest reads as zero (fresh guest memory, a zeroed
  // buffer). Only the segments' file bytes and the relocations are written;
  // the rest (.bss, gaps) is left as it is, so it costs no memory until the
  // guest touches it.
  void load(std::span<uint8_t> dest, uint64_t base) const;

 private:
  struct Load {
    uint64_t file_offset, file_size, image_offset, mem_size;
  };
  struct Relocation {
    uint64_t image_offset;
    int64_t addend;  // relative to the image start
  };
  std::vector<uint8_t> file_;
  std::vector<Load> loads_;
  std::vector<Relocation> relocations_;
  std::vector<ElfSegment> segments_;
  uint64_t size_ = 0, alignment_ = kPageSize, entry_ = 0;
};

}  // namespace hl::mem
