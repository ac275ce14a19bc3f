#include "sandbox/interrupt.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "common/error.h"

namespace hl {
namespace {

// The action that was installed before ours: signals we did not send go on
// to it. Our handler may run on any thread as soon as it is installed, so
// what it reads is published through g_previous_index (release; it reads
// with acquire) and each slot is written once, before its index is stored:
// slot 0 is what was installed just before ours, slot 1 what sigaction()
// then replaced, if someone installed another handler in between.
struct sigaction g_previous_actions[2];
std::atomic<int> g_previous_index{-1};  // -1: nothing to chain to (yet)
std::mutex g_signal_mu;
int g_signal_offset = kDefaultInterruptSignalOffset;
bool g_handler_installed = false;

// Re-send the signal this often while the vCPU is still inside KVM_RUN (a
// signal can be missed, e.g. while the thread briefly blocks it), for at
// most kMaxResendTime: then immediate_exit alone must do.
std::atomic<uint64_t> g_retry_delay_ns{200'000};
constexpr auto kMaxResendTime = std::chrono::seconds(1);

// Interrupts KVM_RUN by its mere delivery. Signals that some other part of
// the process sent go on to whatever handler was installed before ours.
void on_interrupt_signal(int sig, siginfo_t *info, void *context) {
  if (info != nullptr && info->si_code == SI_TKILL && info->si_pid == getpid()) return;
  const int index = g_previous_index.load(std::memory_order_acquire);  // lock-free: async-signal-safe
  if (index < 0) return;
  const struct sigaction &previous = g_previous_actions[index];
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, context);
  } else if (previous.sa_handler != SIG_IGN && previous.sa_handler != SIG_DFL && previous.sa_handler != nullptr) {
    previous.sa_handler(sig);
  }
}

// Publishes `action` as the one to chain to, unless it is ours.
void publish_previous_action(int slot, const struct sigaction &action) {
  if (action.sa_sigaction == on_interrupt_signal) return;
  g_previous_actions[slot] = action;
  g_previous_index.store(slot, std::memory_order_release);
}

void store_immediate_exit(kvm_run *run, uint8_t value) {
  __atomic_store_n(&run->immediate_exit, value, __ATOMIC_SEQ_CST);
}

}  // namespace

int interrupt_signal() {
  std::lock_guard<std::mutex> lock(g_signal_mu);
  return SIGRTMIN + g_signal_offset;
}

void set_interrupt_signal_offset(uint32_t offset) {
  std::lock_guard<std::mutex> lock(g_signal_mu);
  if (offset > static_cast<uint32_t>(SIGRTMAX - SIGRTMIN))
    throw Error(HL_ERROR_INVALID_ARGUMENT,
                format("hl_set_interrupt_signal_offset: SIGRTMIN + %u is above SIGRTMAX (offsets 0 to %d)", offset,
                       SIGRTMAX - SIGRTMIN));
  if (g_handler_installed && static_cast<int>(offset) != g_signal_offset)
    throw Error(HL_ERROR_BUSY, format("hl_set_interrupt_signal_offset: signal SIGRTMIN + %d is already in use; set "
                                      "the offset before creating the first sandbox",
                                      g_signal_offset));
  g_signal_offset = static_cast<int>(offset);
}

void set_interrupt_retry_delay_ns(uint64_t delay_ns) {
  if (delay_ns < 1'000 || delay_ns > 100'000'000)
    throw Error(HL_ERROR_INVALID_ARGUMENT, format("hl_set_interrupt_retry_delay_ns: %llu ns is outside 1 us to 100 ms",
                                                  static_cast<unsigned long long>(delay_ns)));
  g_retry_delay_ns.store(delay_ns);
}

void install_interrupt_signal_handler() {
  std::lock_guard<std::mutex> lock(g_signal_mu);
  if (g_handler_installed) return;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = on_interrupt_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&action.sa_mask);
  const int sig = SIGRTMIN + g_signal_offset;
  // What to chain to is published before our handler can run (it used to be
  // written after, racing with the handler on other threads: a foreign
  // signal then could find it half-written, or be dropped).
  struct sigaction seen, replaced;
  if (sigaction(sig, nullptr, &seen) != 0)
    throw Error(HL_ERROR_HYPERVISOR, errno_message("sigaction(interrupt signal)", errno));
  publish_previous_action(0, seen);
  if (sigaction(sig, &action, &replaced) != 0)
    throw Error(HL_ERROR_HYPERVISOR, errno_message("sigaction(interrupt signal)", errno));
  if (replaced.sa_sigaction != seen.sa_sigaction || replaced.sa_flags != seen.sa_flags)
    publish_previous_action(1, replaced);  // installed by someone else in between
  g_handler_installed = true;
}

void InterruptControl::cancel_locked(CancelReason reason) {
  uint32_t none = 0;
  cancel_reason_.compare_exchange_strong(none, static_cast<uint32_t>(reason));  // the first reason wins
  store_immediate_exit(run_, 1);
  // tid_ cannot have exited: end_run() needs mu_ first.
  ::syscall(SYS_tgkill, getpid(), tid_, interrupt_signal());
}

hl_kill_result_t InterruptControl::kill() {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (gone_) return HL_KILL_SANDBOX_GONE;
    if (!running_) return HL_KILL_NOT_RUNNING;
    generation = generation_;
    cancel_locked(CancelReason::kKilled);
  }
  // Keep kicking while that same call is still inside KVM_RUN. Outside it
  // (host function, between exits) the run loop checks the reason itself.
  const auto give_up = std::chrono::steady_clock::now() + kMaxResendTime;
  while (std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(g_retry_delay_ns.load()));
    std::lock_guard<std::mutex> lock(mu_);
    if (gone_ || !running_ || generation_ != generation || !in_guest_.load()) break;
    ::syscall(SYS_tgkill, getpid(), tid_, interrupt_signal());
  }
  return HL_KILL_INTERRUPTED;
}

void InterruptControl::time_out(uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (gone_ || !running_ || generation_ != generation) return;
  cancel_locked(CancelReason::kTimedOut);
}

uint64_t InterruptControl::begin_run() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = true;
  generation_++;
  cancel_reason_.store(0, std::memory_order_seq_cst);
  tid_ = static_cast<pid_t>(::syscall(SYS_gettid));
  store_immediate_exit(run_, 0);
  return generation_;
}

void InterruptControl::end_run() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  in_guest_.store(false);
  cancel_reason_.store(0, std::memory_order_seq_cst);
  store_immediate_exit(run_, 0);
}

void InterruptControl::clear_immediate_exit() { store_immediate_exit(run_, 0); }

void InterruptControl::detach() {
  std::lock_guard<std::mutex> lock(mu_);
  gone_ = true;
  running_ = false;
  run_ = nullptr;
}

}  // namespace hl
