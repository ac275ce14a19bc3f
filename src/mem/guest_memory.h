// A sandbox's guest-physical memory: one memfd, mapped shared into the host.
//
// Every guest-supplied address goes through translate(), the one checked
// conversion from guest address + length to a host pointer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/unique_fd.h"
#include "common/unique_mapping.h"

namespace hl::mem {

class GuestMemory {
 public:
  // Reserves size bytes (page-aligned); pages cost nothing until touched.
  explicit GuestMemory(uint64_t size);

  uint8_t *host_base() const { return mapping_.data(); }
  uint64_t size() const { return size_; }

  // Host view of [guest_address, guest_address + length), or nullptr if any
  // byte is outside guest memory (including wrap-around). Zero length is
  // valid anywhere in [0, size].
  uint8_t *translate(uint64_t guest_address, uint64_t length) const;

  // Like translate() for ranges the host itself chose: throws
  // Error(HL_ERROR_INTERNAL) instead of returning nullptr.
  std::span<uint8_t> span(uint64_t guest_address, uint64_t length) const;

  // The byte ranges that hold data; the rest has never been written and
  // reads as zero. (lseek SEEK_DATA/SEEK_HOLE on the memfd.)
  struct Extent {
    uint64_t offset, length;
  };
  std::vector<Extent> populated_extents() const;
  // Returns every page to the never-written state (zero, no host memory).
  // KVM drops its mappings of them through the kernel's MMU notifiers.
  void discard_all();
  // Writes bytes through the memfd (pwrite) rather than the mapping.
  void write_at(uint64_t guest_address, const uint8_t *data, uint64_t length) const;

 private:
  UniqueFd memfd_;
  UniqueMapping mapping_;
  uint64_t size_;
};

}  // namespace hl::mem
