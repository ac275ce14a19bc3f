#include "snapshot/snapshot_memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "mem/layout.h"

namespace hl {

SnapshotMemory SnapshotMemory::blank(uint64_t size) {
  void *addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (addr == MAP_FAILED) throw Error(ErrorCode::kOutOfMemory, errno_message("mmap(snapshot memory)", errno));
  SnapshotMemory m;
  m.mapping_ = UniqueMapping(addr, size);
  return m;
}

namespace {

bool all_zero(const uint8_t *page) {
  const auto *words = reinterpret_cast<const uint64_t *>(page);
  uint64_t any = 0;
  for (size_t i = 0; i < mem::kPageSize / 8; i++) any |= words[i];
  return any == 0;
}

}  // namespace

SnapshotMemory SnapshotMemory::capture(const mem::GuestMemory &memory) {
  // Only pages that hold something: a populated page of zeros (a loaded
  // image's .bss, untouched page-table pool pages) reads the same as a hole
  // and would cost every sandbox made from the snapshot a page to copy.
  SnapshotMemory m = blank(memory.size());
  for (const Extent &e : memory.populated_extents()) {
    for (uint64_t at = e.offset; at < e.offset + e.length; at += mem::kPageSize) {
      const uint8_t *page = memory.host_base() + at;
      if (all_zero(page)) continue;
      std::memcpy(m.mapping_.data() + at, page, mem::kPageSize);
      if (!m.extents_.empty() && m.extents_.back().offset + m.extents_.back().length == at)
        m.extents_.back().length += mem::kPageSize;
      else
        m.extents_.push_back({at, mem::kPageSize});
    }
  }
  m.seal();
  return m;
}

uint8_t *SnapshotMemory::writable(uint64_t offset, uint64_t length) {
  if (offset > size() || length > size() - offset)
    throw Error(ErrorCode::kInternal, "snapshot memory range out of bounds");
  return mapping_.data() + offset;
}

void SnapshotMemory::seal() {
  // Immutable from here on: a stray host write would fault instead of
  // silently changing what every restore copies.
  if (::mprotect(mapping_.data(), mapping_.size(), PROT_READ) < 0)
    throw Error(ErrorCode::kInternal, errno_message("mprotect(snapshot memory)", errno));
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
