#include "kvm/kvm_system.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace hl::kvm {
namespace {

[[noreturn]] void no_hypervisor(const std::string &why) {
  throw Error(ErrorCode::kNoHypervisor, "KVM is not usable: " + why);
}

void require_capability(int fd, long cap, const char *name) {
  if (::ioctl(fd, KVM_CHECK_EXTENSION, cap) <= 0) no_hypervisor(format("/dev/kvm lacks capability %s", name));
}

// CPUID leaf 1 ECX: bit 5 VMX; leaf 0x80000001 ECX: bit 2 SVM. Hidden so the
// guest never tries nested virtualisation.
void hide_virtualisation(CpuidTable &cpuid) {
  for (uint32_t i = 0; i < cpuid.nent; i++) {
    kvm_cpuid_entry2 &e = cpuid.entries[i];
    if (e.function == 1) e.ecx &= ~(1u << 5);
    if (e.function == 0x80000001u) e.ecx &= ~(1u << 2);
  }
}

}  // namespace

std::shared_ptr<const KvmSystem> KvmSystem::open(const char *device_path) {
  int raw = ::open(device_path, O_RDWR | O_CLOEXEC);
  if (raw < 0) {
    int err = errno;
    no_hypervisor(errno_message(format("open(%s)", device_path).c_str(), err));
  }
  std::shared_ptr<KvmSystem> sys(new KvmSystem());
  sys->fd_.reset(raw);
  int fd = sys->fd_.get();
  int api = ::ioctl(fd, KVM_GET_API_VERSION, 0);
  if (api != KVM_API_VERSION)
    no_hypervisor(format("%s: KVM API version %d, expected %d", device_path, api, KVM_API_VERSION));
  require_capability(fd, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY");
  require_capability(fd, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT");
  if ((::ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) == 0)
    no_hypervisor("/dev/kvm lacks capability KVM_CAP_SYNC_REGS (x86 regs)");
  int mmap_size = ::ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (mmap_size < static_cast<int>(sizeof(kvm_run))) no_hypervisor(errno_message("KVM_GET_VCPU_MMAP_SIZE", errno));
  sys->vcpu_mmap_size_ = static_cast<size_t>(mmap_size);
  sys->cpuid_.nent = kMaxCpuidEntries;
  if (::ioctl(fd, kGetSupportedCpuid, &sys->cpuid_) < 0) no_hypervisor(errno_message("KVM_GET_SUPPORTED_CPUID", errno));
  hide_virtualisation(sys->cpuid_);
  for (uint32_t i = 0; i < sys->cpuid_.nent; i++) {
    const kvm_cpuid_entry2 &e = sys->cpuid_.entries[i];
    if (e.function == 7 && e.index == 0) sys->offers_umip_ = (e.ecx & (1u << 2)) != 0;  // leaf 7 ECX bit 2: UMIP
  }
  // 4096 entries (64 KiB) per vCPU: a sandbox can dirty 16 MiB between two
  // restores before a ring-full exit makes it re-protect pages.
  int ring_bytes = ::ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING);
  constexpr uint32_t kRingEntries = 4096;
  if (ring_bytes >= static_cast<int>(kRingEntries * sizeof(kvm_dirty_gfn))) sys->dirty_ring_entries_ = kRingEntries;
  return sys;
}

Vm KvmSystem::create_vm() const {
  int raw;
  do {
    raw = ::ioctl(fd_.get(), KVM_CREATE_VM, 0);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) {
    int err = errno;
    throw Error(err == ENOMEM ? ErrorCode::kOutOfMemory : ErrorCode::kHypervisor, errno_message("KVM_CREATE_VM", err));
  }
  return Vm(UniqueFd(raw), vcpu_mmap_size_);
}

Machine KvmSystem::create_machine() const {
  Vm vm = create_vm();
  if (dirty_ring_entries_ != 0) vm.enable_dirty_ring(dirty_ring_entries_);
  Vcpu vcpu = vm.create_vcpu(cpuid_);
  return Machine{std::move(vm), std::move(vcpu), false};
}

}  // namespace hl::kvm
