#include "mem/guest_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "mem/layout.h"

namespace hl::mem {

GuestMemory::GuestMemory(uint64_t size) : size_(size) {
  if (size == 0 || size % kPageSize != 0 || size > kMaxMemorySize)
    throw Error(ErrorCode::kInternal, "guest memory size must be page-aligned and non-zero");
  int fd = ::memfd_create("hyperlight-guest", MFD_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::kOutOfMemory, errno_message("memfd_create", errno));
  memfd_.reset(fd);
  if (::ftruncate(fd, static_cast<off_t>(size)) < 0)
    throw Error(ErrorCode::kOutOfMemory, errno_message("ftruncate(guest memory)", errno));
  void *addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (addr == MAP_FAILED) throw Error(ErrorCode::kOutOfMemory, errno_message("mmap(guest memory)", errno));
  mapping_ = UniqueMapping(addr, size);
}

uint8_t *GuestMemory::translate(uint64_t guest_address, uint64_t length) const {
  if (guest_address > size_ || length > size_ - guest_address) return nullptr;
  return mapping_.data() + guest_address;
}

std::span<uint8_t> GuestMemory::span(uint64_t guest_address, uint64_t length) const {
  uint8_t *p = translate(guest_address, length);
  if (p == nullptr)
    throw Error(ErrorCode::kInternal,
                format("host range [0x%llx, +0x%llx) outside guest memory",
                       static_cast<unsigned long long>(guest_address), static_cast<unsigned long long>(length)));
  return {p, length};
}

std::vector<GuestMemory::Extent> GuestMemory::populated_extents() const {
  std::vector<Extent> extents;
  off_t pos = 0;
  const off_t end = static_cast<off_t>(size_);
  while (pos < end) {
    off_t data = ::lseek(memfd_.get(), pos, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // no data after pos
      throw Error(ErrorCode::kInternal, errno_message("lseek(SEEK_DATA) on guest memory", errno));
    }
    off_t hole = ::lseek(memfd_.get(), data, SEEK_HOLE);
    if (hole < 0) throw Error(ErrorCode::kInternal, errno_message("lseek(SEEK_HOLE) on guest memory", errno));
    if (hole > end) hole = end;
    extents.push_back({static_cast<uint64_t>(data), static_cast<uint64_t>(hole - data)});
    pos = hole;
  }
  return extents;
}

void GuestMemory::write_at(uint64_t guest_address, const uint8_t *data, uint64_t length) const {
  if (translate(guest_address, length) == nullptr) throw Error(ErrorCode::kInternal, "write_at outside guest memory");
  while (length > 0) {
    ssize_t n = ::pwrite(memfd_.get(), data, length, static_cast<off_t>(guest_address));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(ErrorCode::kOutOfMemory, errno_message("pwrite(guest memory)", errno));
    data += n;
    guest_address += static_cast<uint64_t>(n);
    length -= static_cast<uint64_t>(n);
  }
}

void GuestMemory::discard_all() {
  if (::fallocate(memfd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(size_)) < 0)
    throw Error(ErrorCode::kOutOfMemory, errno_message("fallocate(PUNCH_HOLE) on guest memory", errno));
}

}  // namespace hl::mem
