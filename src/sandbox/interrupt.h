// Stopping a running call from another thread (hl_kill) or at a deadline.
//
// A call is one "generation". The killer, under a mutex and only for the
// generation that is running: records why (killed / timed out), sets
// kvm_run.immediate_exit (so a KVM_RUN about to start returns at once) and
// signals the vCPU thread (so a KVM_RUN in progress returns EINTR), and
// re-sends while that thread is still inside KVM_RUN for that generation.
// The vCPU thread treats EINTR only as a hint and checks the recorded
// reason; begin_run()/end_run() reset everything under the same mutex, so a
// kill can never leak into a later call. docs/interrupts.md has the details.
#pragma once

#include <linux/kvm.h>
#include <sys/types.h>

#include <atomic>
#include <mutex>

#include "hyperlight.h"

namespace hl {

// SIGRTMIN + offset interrupts vCPU threads. Not 0: CoreCLR uses SIGRTMIN.
inline constexpr int kDefaultInterruptSignalOffset = 5;
// The signal in use (or that will be used once the first sandbox exists).
int interrupt_signal();
// Before the first sandbox only: Error(HL_ERROR_BUSY) afterwards,
// Error(HL_ERROR_INVALID_ARGUMENT) beyond SIGRTMAX.
void set_interrupt_signal_offset(uint32_t offset);
// 1 us to 100 ms; Error(HL_ERROR_INVALID_ARGUMENT) otherwise.
void set_interrupt_retry_delay_ns(uint64_t delay_ns);
// Installs the (empty) handler once per process; chains foreign senders.
void install_interrupt_signal_handler();

enum class CancelReason : uint32_t { kNone = 0, kKilled = 1, kTimedOut = 2 };

class InterruptControl {
 public:
  explicit InterruptControl(kvm_run *run) : run_(run) {}

  hl_kill_result_t kill();
  // From the deadline timer: cancels only if `generation` is still running.
  void time_out(uint64_t generation);

  // On the vCPU thread, around one call (or the guest's initialisation).
  // begin_run returns the call's generation.
  uint64_t begin_run();
  void end_run();
  // Around each KVM_RUN, so the killer knows when re-sending is useful.
  void set_in_guest(bool in_guest) { in_guest_.store(in_guest, std::memory_order_seq_cst); }
  CancelReason cancel_reason() const {
    return static_cast<CancelReason>(cancel_reason_.load(std::memory_order_seq_cst));
  }
  // After KVM_RUN returned EINTR: re-arm before looking at the cancel
  // reason, so a kill racing with this is seen here or by the next KVM_RUN.
  void clear_immediate_exit();

  // The sandbox is going away: later kills report HL_KILL_SANDBOX_GONE.
  void detach();

 private:
  // Under mu_: records reason for the running call and kicks its thread.
  void cancel_locked(CancelReason reason);

  std::mutex mu_;
  kvm_run *run_;  // valid until detach()
  bool running_ = false;
  bool gone_ = false;
  pid_t tid_ = 0;
  uint64_t generation_ = 0;
  std::atomic<uint32_t> cancel_reason_{0};
  std::atomic<bool> in_guest_{false};
};

}  // namespace hl
