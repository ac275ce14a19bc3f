// One vCPU: its fd and its shared kvm_run page.
//
// Registers for the hot path travel through kvm_run's sync_regs area (no
// ioctl); GET/SET ioctls (~4.5 us each here) are for setup and faults only.
#pragma once

#include <linux/kvm.h>

#include "common/unique_fd.h"
#include "common/unique_mapping.h"

namespace hl::kvm {

class Vcpu {
 public:
  Vcpu(UniqueFd fd, UniqueMapping run) : fd_(std::move(fd)), run_(std::move(run)) {}

  kvm_run *run_state() const { return reinterpret_cast<kvm_run *>(run_.data()); }

  // One KVM_RUN. Returns 0, or -errno (EINTR when kicked by a signal or
  // immediate_exit). Any other error is for the caller to report.
  int run() const;

  kvm_sregs get_sregs() const;
  void set_sregs(const kvm_sregs &sregs) const;
  void set_regs(const kvm_regs &regs) const;
  void set_fpu(const kvm_fpu &fpu) const;

  // Registers written here reach the vCPU on the next run() (sync_regs).
  kvm_regs &sync_regs() const { return run_state()->s.regs.regs; }
  void mark_sync_regs_dirty() const { run_state()->kvm_dirty_regs |= KVM_SYNC_X86_REGS; }

 private:
  UniqueFd fd_;
  UniqueMapping run_;
};

}  // namespace hl::kvm
