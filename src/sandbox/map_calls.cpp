// The sandbox's calls that change its mapped regions (hl_sandbox_map_region,
// hl_sandbox_unmap_region, hl_sandbox_map_file_cow): each is one change to
// MappedRegions (mapped_regions.h) while the sandbox is busy, then a reload
// of the guest's MMU. A reference to memory that a call lets go (a failed
// map, an unmap) is dropped once the sandbox is no longer busy: if it is the
// last, the memory's finalizer runs then.
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>

#include "common/error.h"
#include "common/regular_file.h"
#include "common/unique_fd.h"
#include "sandbox/busy_guard.h"
#include "sandbox/sandbox.h"

namespace hl {

void Sandbox::map_region(std::shared_ptr<const MappedMemory> memory, uint64_t guest_address, uint32_t flags) {
  // memory outlives add_mapping's busy guard: after a failure, it is the last reference.
  add_mapping(memory, guest_address, flags, "mapped region");
}

uint64_t Sandbox::map_file_cow(const char *path, uint64_t guest_address) {
  struct stat st;
  UniqueFd fd = open_regular_file("hl_sandbox_map_file_cow", path, &st);
  if (st.st_size == 0) throw Error(ErrorCode::kInvalidArgument, format("hl_sandbox_map_file_cow: '%s' is empty", path));
  const uint64_t size = mem::page_round_up(static_cast<uint64_t>(st.st_size));
  // Private and read-only: the guest sees the file, and nothing reaches it.
  void *view = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (view == MAP_FAILED)
    throw Error(ErrorCode::kIo, errno_message(format("hl_sandbox_map_file_cow: mmap('%s')", path).c_str(), errno));
  UniqueMapping owned(view, size);
  auto memory = std::make_shared<const MappedMemory>(std::move(owned));  // outlives the busy guard, as in map_region
  add_mapping(memory, guest_address, MapFlag::kRead | MapFlag::kExecute, format("mapped file '%s'", path));
  return size;
}

void Sandbox::add_mapping(const std::shared_ptr<const MappedMemory> &memory, uint64_t guest_address, uint32_t flags,
                          std::string name) {
  BusyGuard busy(busy_);
  mapped_regions_.map(memory, guest_address, flags, std::move(name));
  reload_guest_mmu();
}

void Sandbox::unmap_region(uint64_t guest_address) {
  // This sandbox's reference, dropped once the sandbox is no longer busy:
  // if it is the last, the memory's finalizer runs then.
  std::shared_ptr<const MappedMemory> released;
  BusyGuard busy(busy_);
  released = mapped_regions_.unmap(guest_address);
  reload_guest_mmu();
}

// The host edited page tables behind the vCPU's back: writing the special
// registers (unchanged) makes KVM drop every cached translation.
void Sandbox::reload_guest_mmu() { vcpu_.set_sregs(vcpu_.get_sregs()); }

}  // namespace hl
