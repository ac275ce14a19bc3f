// One vCPU: its fd, its shared kvm_run page and its dirty ring.
//
// Registers for the hot path travel through kvm_run's sync_regs area (no
// ioctl); GET/SET ioctls (~4.5 us each here) are for setup, snapshots and
// faults only.
#pragma once

#include <linux/kvm.h>

#include "common/unique_fd.h"
#include "common/unique_mapping.h"
#include "kvm/dirty_ring.h"
#include "kvm/vcpu_state.h"

namespace hl::kvm {

class Vcpu {
 public:
  Vcpu(UniqueFd fd, UniqueMapping run, DirtyRing ring)
      : fd_(std::move(fd)), run_(std::move(run)), ring_(std::move(ring)) {}

  kvm_run *run_state() const { return reinterpret_cast<kvm_run *>(run_.data()); }
  DirtyRing &dirty_ring() { return ring_; }

  // One KVM_RUN. Returns 0, or -errno (EINTR when kicked by a signal or
  // immediate_exit). Any other error is for the caller to report.
  int run() const;

  kvm_sregs get_sregs() const;
  void set_sregs(const kvm_sregs &sregs) const;
  void set_regs(const kvm_regs &regs) const;
  // For the debugger and crash dumps (not the call path): x87/SSE state.
  kvm_fpu get_fpu() const;
  void set_fpu(const kvm_fpu &fpu) const;

  // The complete state (8 ioctls). Not while the vCPU runs.
  VcpuState capture_state() const;
  // Writes every part of state (8 ioctls): for a vCPU whose history is
  // unknown (after an exception, or fresh from the pool).
  void restore_all_state(const VcpuState &state) const;
  // Writes only what CPL3 code can change: general and segment registers
  // through sync_regs (applied by the next KVM_RUN, no ioctl) and the
  // FPU/SSE state (one ioctl).
  void restore_user_state(const VcpuState &state) const {
    set_xsave(state.xsave);
    restore_user_registers(state);
  }
  // The registers alone, through sync_regs (no ioctl).
  void restore_user_registers(const VcpuState &state) const;
  void set_xsave(const XsaveArea &xsave) const;

  // Registers written here reach the vCPU on the next run() (sync_regs).
  kvm_regs &sync_regs() const { return run_state()->s.regs.regs; }
  void mark_sync_regs_dirty() const { run_state()->kvm_dirty_regs |= KVM_SYNC_X86_REGS; }

 private:
  template <typename T>
  void get(unsigned long request, const char *name, T *value) const;
  template <typename T>
  void set(unsigned long request, const char *name, const T &value) const;

  UniqueFd fd_;
  UniqueMapping run_;
  DirtyRing ring_;
};

}  // namespace hl::kvm
