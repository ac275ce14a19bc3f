// Stopping a running call from another thread (hl_kill).
//
// The killer, under a mutex: marks the call cancelled, sets
// kvm_run.immediate_exit (so a KVM_RUN that has not started yet returns at
// once), and signals the vCPU thread (so one that has started exits with
// EINTR). The vCPU thread treats EINTR only as a hint and checks the cancel
// flag; calls that were not running when kill() came are never affected,
// because begin_run()/end_run() reset the state under the same mutex.
// docs/interrupts.md states the guarantees.
#pragma once

#include <linux/kvm.h>
#include <sys/types.h>

#include <atomic>
#include <mutex>

#include "hyperlight.h"

namespace hl {

// SIGRTMIN + this offset interrupts vCPU threads. Not 0: CoreCLR uses SIGRTMIN.
inline constexpr int kDefaultInterruptSignalOffset = 5;
int interrupt_signal();
// Installs the (empty) handler once per process; chains foreign senders.
void install_interrupt_signal_handler();

class InterruptControl {
 public:
  explicit InterruptControl(kvm_run *run) : run_(run) {}

  hl_kill_result_t kill();

  // On the vCPU thread, around one call (or the guest's initialisation).
  void begin_run();
  void end_run();
  bool cancel_requested() const { return cancel_.load(std::memory_order_seq_cst); }
  // After KVM_RUN returned EINTR: re-arm before looking at the cancel flag,
  // so a kill racing with this is seen either here or by the next KVM_RUN.
  void clear_immediate_exit();

  // The sandbox is going away: later kills report HL_KILL_SANDBOX_GONE.
  void detach();

 private:
  std::mutex mu_;
  kvm_run *run_;  // valid until detach()
  bool running_ = false;
  bool gone_ = false;
  pid_t tid_ = 0;
  std::atomic<bool> cancel_{false};
};

}  // namespace hl
