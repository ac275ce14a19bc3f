#include "kvm/vcpu.h"

#include <sys/ioctl.h>

#include <cerrno>

#include "common/error.h"

namespace hl::kvm {

int Vcpu::run() const { return ::ioctl(fd_.get(), KVM_RUN, 0) < 0 ? -errno : 0; }

kvm_sregs Vcpu::get_sregs() const {
  kvm_sregs sregs{};
  if (::ioctl(fd_.get(), KVM_GET_SREGS, &sregs) < 0)
    throw Error(HL_ERROR_HYPERVISOR, errno_message("KVM_GET_SREGS", errno));
  return sregs;
}

void Vcpu::set_sregs(const kvm_sregs &sregs) const {
  if (::ioctl(fd_.get(), KVM_SET_SREGS, &sregs) < 0)
    throw Error(HL_ERROR_HYPERVISOR, errno_message("KVM_SET_SREGS", errno));
}

void Vcpu::set_regs(const kvm_regs &regs) const {
  if (::ioctl(fd_.get(), KVM_SET_REGS, &regs) < 0)
    throw Error(HL_ERROR_HYPERVISOR, errno_message("KVM_SET_REGS", errno));
}

void Vcpu::set_fpu(const kvm_fpu &fpu) const {
  if (::ioctl(fd_.get(), KVM_SET_FPU, &fpu) < 0) throw Error(HL_ERROR_HYPERVISOR, errno_message("KVM_SET_FPU", errno));
}

}  // namespace hl::kvm
