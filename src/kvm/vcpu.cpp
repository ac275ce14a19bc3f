#include "kvm/vcpu.h"

#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace hl::kvm {

int Vcpu::run() const { return ::ioctl(fd_.get(), KVM_RUN, 0) < 0 ? -errno : 0; }

template <typename T>
void Vcpu::get(unsigned long request, const char *name, T *value) const {
  if (::ioctl(fd_.get(), request, value) < 0) throw Error(ErrorCode::kHypervisor, errno_message(name, errno));
}

template <typename T>
void Vcpu::set(unsigned long request, const char *name, const T &value) const {
  if (::ioctl(fd_.get(), request, &value) < 0) throw Error(ErrorCode::kHypervisor, errno_message(name, errno));
}

kvm_sregs Vcpu::get_sregs() const {
  kvm_sregs sregs{};
  get(KVM_GET_SREGS, "KVM_GET_SREGS", &sregs);
  return sregs;
}

void Vcpu::set_sregs(const kvm_sregs &sregs) const { set(KVM_SET_SREGS, "KVM_SET_SREGS", sregs); }
void Vcpu::set_regs(const kvm_regs &regs) const { set(KVM_SET_REGS, "KVM_SET_REGS", regs); }

kvm_fpu Vcpu::get_fpu() const {
  kvm_fpu fpu{};
  get(KVM_GET_FPU, "KVM_GET_FPU", &fpu);
  return fpu;
}

void Vcpu::set_fpu(const kvm_fpu &fpu) const { set(KVM_SET_FPU, "KVM_SET_FPU", fpu); }

namespace {

// The snapshot MSRs' indices, with their values when given (KVM_SET_MSRS).
MsrList snapshot_msr_list(const uint64_t *values) {
  MsrList list{};
  list.nmsrs = kSnapshotMsrCount;
  for (uint32_t i = 0; i < kSnapshotMsrCount; i++) list.entries[i] = {kSnapshotMsrs[i], 0, values ? values[i] : 0};
  return list;
}

}  // namespace

VcpuState Vcpu::capture_state() const {
  // Registers written through sync_regs but not yet applied (the vCPU has
  // not run since) are the current ones: take them from there.
  const kvm_run *run = run_state();
  VcpuState s;
  if (run->kvm_dirty_regs & KVM_SYNC_X86_REGS)
    s.regs = run->s.regs.regs;
  else
    get(KVM_GET_REGS, "KVM_GET_REGS", &s.regs);
  if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS)
    s.sregs = run->s.regs.sregs;
  else
    get(KVM_GET_SREGS, "KVM_GET_SREGS", &s.sregs);
  get(kGetXsave, "KVM_GET_XSAVE", &s.xsave);
  get(KVM_GET_XCRS, "KVM_GET_XCRS", &s.xcrs);
  get(KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS", &s.debugregs);
  get(KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS", &s.events);
  get(KVM_GET_MP_STATE, "KVM_GET_MP_STATE", &s.mp_state);
  MsrList msrs = snapshot_msr_list(nullptr);
  int n = ::ioctl(fd_.get(), kGetMsrs, &msrs);
  if (n != static_cast<int>(kSnapshotMsrCount))
    throw Error(ErrorCode::kHypervisor, n < 0 ? errno_message("KVM_GET_MSRS", errno)
                                              : format("KVM_GET_MSRS read %d of %u MSRs (0x%x refused)", n,
                                                       kSnapshotMsrCount, kSnapshotMsrs[n]));
  for (uint32_t i = 0; i < kSnapshotMsrCount; i++) s.msrs[i] = msrs.entries[i].data;
  return s;
}

void Vcpu::restore_all_state(const VcpuState &s) const {
  run_state()->kvm_dirty_regs = 0;
  run_state()->immediate_exit = 0;
  set(KVM_SET_MP_STATE, "KVM_SET_MP_STATE", s.mp_state);
  set(KVM_SET_SREGS, "KVM_SET_SREGS", s.sregs);
  set(KVM_SET_REGS, "KVM_SET_REGS", s.regs);
  set(KVM_SET_XCRS, "KVM_SET_XCRS", s.xcrs);
  set(kSetXsave, "KVM_SET_XSAVE", s.xsave);
  set(KVM_SET_DEBUGREGS, "KVM_SET_DEBUGREGS", s.debugregs);
  set(KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS", s.events);
  MsrList msrs = snapshot_msr_list(s.msrs);
  int n = ::ioctl(fd_.get(), kSetMsrs, &msrs);
  if (n != static_cast<int>(kSnapshotMsrCount))
    throw Error(ErrorCode::kHypervisor, n < 0 ? errno_message("KVM_SET_MSRS", errno)
                                              : format("KVM_SET_MSRS wrote %d of %u MSRs", n, kSnapshotMsrCount));
  sync_regs() = s.regs;  // keep the sync area in step with the vCPU
}

void Vcpu::set_xsave(const XsaveArea &xsave) const { set(kSetXsave, "KVM_SET_XSAVE", xsave); }

void Vcpu::restore_user_registers(const VcpuState &s) const {
  kvm_run *run = run_state();
  run->s.regs.regs = s.regs;
  run->s.regs.sregs = s.sregs;
  run->kvm_dirty_regs |= KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
}

}  // namespace hl::kvm
