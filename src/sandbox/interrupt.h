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

#include <time.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "common/api_types.h"
#include "sandbox/metrics_recorder.h"

namespace hl {

// How calls are interrupted: the signal that kicks a vCPU thread out of
// KVM_RUN and how often a kill re-sends it. An engine holds one; each of its
// sandboxes copies it.
struct InterruptSettings {
  // SIGRTMIN + offset. Not 0: CoreCLR uses SIGRTMIN.
  static constexpr uint32_t kDefaultSignalOffset = 5;
  static constexpr uint64_t kDefaultRetryDelayNs = 200'000;
  uint32_t signal_offset = kDefaultSignalOffset;
  uint64_t retry_delay_ns = kDefaultRetryDelayNs;

  int signal() const;
  // Throw Error(HL_ERROR_INVALID_ARGUMENT) naming the allowed range; what
  // names the setter for the message.
  static void check_signal_offset(uint32_t offset, const char *what);
  static void check_retry_delay_ns(uint64_t delay_ns, const char *what);
};

// Installs the (empty) handler for signal, once per signal: signal
// dispositions belong to the process, so this is the one piece of process
// state the library keeps. A handler installed before ours is chained to
// for signals that other senders send.
void install_interrupt_signal_handler(int signal);

enum class CancelReason : uint32_t { kNone = 0, kKilled = 1, kTimedOut = 2, kCpuBudget = 3 };

class InterruptControl {
 public:
  // metrics (the engine's) counts kills; it may outlive the engine, like this.
  InterruptControl(kvm_run *run, const InterruptSettings &settings, std::shared_ptr<MetricsRecorder> metrics)
      : run_(run), signal_(settings.signal()), retry_delay_ns_(settings.retry_delay_ns), metrics_(std::move(metrics)) {}

  KillResult kill();
  // For the debugger's Ctrl-C: makes a running KVM_RUN return (EINTR)
  // without cancelling anything; the run loop asks the debugger why. A
  // KVM_RUN about to start returns at once (immediate_exit). Once, no re-send:
  // the debugger's flag, set before this, is seen at the next exit anyway.
  void kick();
  // On the vCPU thread, after begin_run(): the next KVM_RUN completes any
  // pending I/O and returns EINTR at once (a stop the debugger waits for).
  void stop_next_run();
  // From the deadline timer: cancels only if `generation` is still running.
  void time_out(uint64_t generation);

  // CPU-time budgets. On the vCPU thread, after begin_run(): the call may
  // use budget_ns of this thread's CPU time from thread_cpu_ns (its CPU
  // clock now), not counting host functions, which enter_host_function()
  // and leave_host_function() bracket (with the CPU clock at each).
  void arm_cpu_budget(uint64_t budget_ns, uint64_t thread_cpu_ns);
  bool cpu_budget_armed() const { return budget_ns_ != 0; }
  void enter_host_function(uint64_t thread_cpu_ns) { host_since_cpu_ns_.store(thread_cpu_ns); }
  void leave_host_function(uint64_t thread_cpu_ns);
  // From the deadline timer: reads the vCPU thread's CPU clock and cancels
  // the call if `generation` is still running and over its budget. Returns
  // how long to wait before checking again (the least time in which the
  // budget can run out), or 0 when no further check is needed.
  uint64_t check_cpu_budget(uint64_t generation);

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
  // Under mu_, for the running call: makes its KVM_RUN return (immediate_exit
  // and the signal).
  void kick_locked();
  // Under mu_: records reason for the running call and kicks its thread.
  void cancel_locked(CancelReason reason);

  std::mutex mu_;
  kvm_run *run_;  // valid until detach()
  const int signal_;
  const uint64_t retry_delay_ns_;
  bool running_ = false;
  bool gone_ = false;
  pid_t tid_ = 0;
  uint64_t generation_ = 0;
  std::atomic<uint32_t> cancel_reason_{0};
  std::atomic<bool> in_guest_{false};
  const std::shared_ptr<MetricsRecorder> metrics_;

  // The running call's CPU budget (0: none), set by its thread under mu_.
  uint64_t budget_ns_ = 0;
  uint64_t budget_start_cpu_ns_ = 0;
  clockid_t vcpu_thread_clock_ = 0;
  // Host functions' CPU time so far, and where the one running began (0
  // when none runs); written by the vCPU thread, read by the checker.
  std::atomic<uint64_t> host_cpu_ns_{0};
  std::atomic<uint64_t> host_since_cpu_ns_{0};
};

}  // namespace hl
