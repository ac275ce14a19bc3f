#include "mem/guest_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "mem/layout.h"

namespace hl::mem {

GuestMemory::GuestMemory(uint64_t size) : size_(size) {
  if (size == 0 || size % kPageSize != 0 || size > kMaxMemorySize)
    throw Error(HL_ERROR_INTERNAL, "guest memory size must be page-aligned and non-zero");
  int fd = ::memfd_create("hyperlight-guest", MFD_CLOEXEC);
  if (fd < 0) throw Error(HL_ERROR_OUT_OF_MEMORY, errno_message("memfd_create", errno));
  memfd_.reset(fd);
  if (::ftruncate(fd, static_cast<off_t>(size)) < 0)
    throw Error(HL_ERROR_OUT_OF_MEMORY, errno_message("ftruncate(guest memory)", errno));
  void *addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (addr == MAP_FAILED) throw Error(HL_ERROR_OUT_OF_MEMORY, errno_message("mmap(guest memory)", errno));
  mapping_ = UniqueMapping(addr, size);
}

uint8_t *GuestMemory::translate(uint64_t guest_address, uint64_t length) const {
  if (guest_address > size_ || length > size_ - guest_address) return nullptr;
  return mapping_.data() + guest_address;
}

std::span<uint8_t> GuestMemory::span(uint64_t guest_address, uint64_t length) const {
  uint8_t *p = translate(guest_address, length);
  if (p == nullptr)
    throw Error(HL_ERROR_INTERNAL,
                format("host range [0x%llx, +0x%llx) outside guest memory",
                       static_cast<unsigned long long>(guest_address), static_cast<unsigned long long>(length)));
  return {p, length};
}

}  // namespace hl::mem
