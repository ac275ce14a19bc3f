#include "kvm/vm.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"

namespace hl::kvm {

void Vm::set_memory_slot(uint32_t slot, uint64_t guest_addr, uint64_t size, void *host_addr, uint32_t flags) const {
  kvm_userspace_memory_region region{};
  region.slot = slot;
  region.flags = flags;
  region.guest_phys_addr = guest_addr;
  region.memory_size = size;
  region.userspace_addr = reinterpret_cast<uint64_t>(host_addr);
  if (::ioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &region) < 0)
    throw Error(ErrorCode::kHypervisor, errno_message("KVM_SET_USER_MEMORY_REGION", errno));
}

void Vm::enable_dirty_ring(uint32_t ring_entries) {
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_DIRTY_LOG_RING;
  cap.args[0] = uint64_t{ring_entries} * sizeof(kvm_dirty_gfn);
  if (::ioctl(fd_.get(), KVM_ENABLE_CAP, &cap) < 0)
    throw Error(ErrorCode::kHypervisor, errno_message("KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING)", errno));
  ring_entries_ = ring_entries;
}

Vcpu Vm::create_vcpu(const CpuidTable &cpuid) const {
  int raw = ::ioctl(fd_.get(), KVM_CREATE_VCPU, 0);
  if (raw < 0) throw Error(ErrorCode::kHypervisor, errno_message("KVM_CREATE_VCPU", errno));
  UniqueFd fd(raw);
  void *run = ::mmap(nullptr, vcpu_mmap_size_, PROT_READ | PROT_WRITE, MAP_SHARED, raw, 0);
  if (run == MAP_FAILED) throw Error(ErrorCode::kHypervisor, errno_message("mmap(kvm_run)", errno));
  UniqueMapping mapping(run, vcpu_mmap_size_);
  if (::ioctl(raw, kSetCpuid2, &cpuid) < 0) throw Error(ErrorCode::kHypervisor, errno_message("KVM_SET_CPUID2", errno));
  DirtyRing ring;
  if (ring_entries_ != 0) {
    const size_t bytes = size_t{ring_entries_} * sizeof(kvm_dirty_gfn);
    void *entries = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, raw,
                           static_cast<off_t>(KVM_DIRTY_LOG_PAGE_OFFSET) * ::getpagesize());
    if (entries == MAP_FAILED) throw Error(ErrorCode::kHypervisor, errno_message("mmap(dirty ring)", errno));
    ring = DirtyRing(UniqueMapping(entries, bytes), ring_entries_);
  }
  return Vcpu(std::move(fd), std::move(mapping), std::move(ring));
}

void Vm::reset_dirty_rings() const {
  if (ring_entries_ != 0 && ::ioctl(fd_.get(), KVM_RESET_DIRTY_RINGS, 0) < 0)
    throw Error(ErrorCode::kHypervisor, errno_message("KVM_RESET_DIRTY_RINGS", errno));
}

}  // namespace hl::kvm
