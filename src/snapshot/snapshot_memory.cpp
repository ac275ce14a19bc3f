#include "snapshot/snapshot_memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "mem/layout.h"

namespace hl {

SnapshotMemory SnapshotMemory::blank(uint64_t size) {
  void *addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (addr == MAP_FAILED) throw Error(HL_ERROR_OUT_OF_MEMORY, errno_message("mmap(snapshot memory)", errno));
  SnapshotMemory m;
  m.mapping_ = UniqueMapping(addr, size);
  return m;
}

SnapshotMemory SnapshotMemory::capture(const mem::GuestMemory &memory) {
  SnapshotMemory m = blank(memory.size());
  m.extents_ = memory.populated_extents();
  for (const Extent &e : m.extents_) std::memcpy(m.mapping_.data() + e.offset, memory.host_base() + e.offset, e.length);
  m.seal();
  return m;
}

uint8_t *SnapshotMemory::writable(uint64_t offset, uint64_t length) {
  if (offset > size() || length > size() - offset)
    throw Error(HL_ERROR_INTERNAL, "snapshot memory range out of bounds");
  return mapping_.data() + offset;
}

void SnapshotMemory::seal() {
  // Immutable from here on: a stray host write would fault instead of
  // silently changing what every restore copies.
  if (::mprotect(mapping_.data(), mapping_.size(), PROT_READ) < 0)
    throw Error(HL_ERROR_INTERNAL, errno_message("mprotect(snapshot memory)", errno));
}

uint64_t SnapshotMemory::populated_bytes() const {
  uint64_t total = 0;
  for (const Extent &e : extents_) total += e.length;
  return total;
}

void SnapshotMemory::copy_into_blank(const mem::GuestMemory &memory) const {
  for (const Extent &e : extents_)
    std::memcpy(memory.span(e.offset, e.length).data(), mapping_.data() + e.offset, e.length);
}

void SnapshotMemory::copy_pages(const mem::GuestMemory &memory, uint64_t first_page, uint64_t count) const {
  const uint64_t offset = first_page * mem::kPageSize, length = count * mem::kPageSize;
  std::memcpy(memory.span(offset, length).data(), mapping_.data() + offset, length);
}

}  // namespace hl
