// The guest memory a snapshot holds: a private, read-only copy of the pages
// that held data, at their guest-physical offsets. Pages that were never
// written are not copied; they read as zero (the kernel's shared zero page),
// so a snapshot of a 256 MiB sandbox costs only what the guest has used.
#pragma once

#include <cstdint>
#include <vector>

#include "common/unique_mapping.h"
#include "mem/guest_memory.h"

namespace hl {

class SnapshotMemory {
 public:
  using Extent = mem::GuestMemory::Extent;

  static SnapshotMemory capture(const mem::GuestMemory &memory);
  // Zero-filled memory of size bytes to be filled (the file loader), then
  // sealed read-only with seal().
  static SnapshotMemory blank(uint64_t size);
  uint8_t *writable(uint64_t offset, uint64_t length);
  void add_extent(Extent e) { extents_.push_back(e); }
  void set_extents(std::vector<Extent> extents) { extents_ = std::move(extents); }
  void seal();

  uint64_t size() const { return mapping_.size(); }
  const std::vector<Extent> &extents() const { return extents_; }
  uint64_t populated_bytes() const;
  const uint8_t *data() const { return mapping_.data(); }

  // Copies the populated extents into memory that is all zero (fresh, or
  // after GuestMemory::discard_all()).
  void copy_into_blank(const mem::GuestMemory &memory) const;
  // Copies pages [first_page, first_page + count) into memory.
  void copy_pages(const mem::GuestMemory &memory, uint64_t first_page, uint64_t count) const;

 private:
  UniqueMapping mapping_;
  std::vector<Extent> extents_;
};

}  // namespace hl
