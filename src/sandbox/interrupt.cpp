#include "sandbox/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/error.h"

namespace hl {
namespace {

constexpr int kMaxSignals = 64;  // SIGRTMAX - SIGRTMIN is 32 on Linux

// The thread id kill() signals, asked of the kernel once per thread rather
// than once per call (a syscall is about 1% of a call here).
pid_t calling_thread_id() {
  thread_local const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  return tid;
}

// Per real-time signal: whether our handler is installed, and the handler
// it replaced. Process-wide like the dispositions they mirror; written
// under g_signal_mu before our handler is installed. The handler may run on
// any thread: it reads the action only after an acquire load of the flag
// that was stored (release) after the action (lock-free, signal-safe).
std::mutex g_signal_mu;
bool g_installed[kMaxSignals];
struct sigaction g_previous_action[kMaxSignals];
std::atomic<bool> g_has_previous_action[kMaxSignals];

// Re-send the signal while the vCPU is still inside KVM_RUN (a signal can be
// missed, e.g. while the thread briefly blocks it), for at most
// kMaxResendTime: then immediate_exit alone must do.
constexpr auto kMaxResendTime = std::chrono::seconds(1);

// Interrupts KVM_RUN by its mere delivery. Signals that some other part of
// the process sent go on to whatever handler was installed before ours.
void on_interrupt_signal(int sig, siginfo_t *info, void *context) {
  if (info != nullptr && info->si_code == SI_TKILL && info->si_pid == getpid()) return;
  const int i = sig - SIGRTMIN;
  if (i < 0 || i >= kMaxSignals || !g_has_previous_action[i].load(std::memory_order_acquire)) return;
  const struct sigaction &previous = g_previous_action[i];
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, context);
  } else if (previous.sa_handler != SIG_IGN && previous.sa_handler != SIG_DFL && previous.sa_handler != nullptr) {
    previous.sa_handler(sig);
  }
}

void store_immediate_exit(kvm_run *run, uint8_t value) {
  __atomic_store_n(&run->immediate_exit, value, __ATOMIC_SEQ_CST);
}

}  // namespace

int InterruptSettings::signal() const { return SIGRTMIN + static_cast<int>(signal_offset); }

void InterruptSettings::check_signal_offset(uint32_t offset, const char *what) {
  if (offset > static_cast<uint32_t>(SIGRTMAX - SIGRTMIN))
    throw Error(ErrorCode::kInvalidArgument,
                format("%s: SIGRTMIN + %u is above SIGRTMAX (offsets 0 to %d)", what, offset, SIGRTMAX - SIGRTMIN));
}

void InterruptSettings::check_retry_delay_ns(uint64_t delay_ns, const char *what) {
  if (delay_ns < 1'000 || delay_ns > 100'000'000)
    throw Error(ErrorCode::kInvalidArgument,
                format("%s: %llu ns is outside 1 us to 100 ms", what, static_cast<unsigned long long>(delay_ns)));
}

void install_interrupt_signal_handler(int signal) {
  const int i = signal - SIGRTMIN;
  if (i < 0 || i >= kMaxSignals || signal > SIGRTMAX)
    throw Error(ErrorCode::kInternal, format("interrupt signal %d is not a real-time signal", signal));
  std::lock_guard<std::mutex> lock(g_signal_mu);
  if (g_installed[i]) return;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = on_interrupt_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&action.sa_mask);
  struct sigaction previous;
  std::memset(&previous, 0, sizeof previous);
  // Read the old disposition and record it before ours can run.
  if (sigaction(signal, nullptr, &previous) != 0)
    throw Error(ErrorCode::kHypervisor, errno_message("sigaction(interrupt signal)", errno));
  if (previous.sa_sigaction != on_interrupt_signal) {
    g_previous_action[i] = previous;
    g_has_previous_action[i].store(true, std::memory_order_release);
  }
  if (sigaction(signal, &action, nullptr) != 0)
    throw Error(ErrorCode::kHypervisor, errno_message("sigaction(interrupt signal)", errno));
  g_installed[i] = true;
}

void InterruptControl::kick_locked() {
  store_immediate_exit(run_, 1);
  // tid_ cannot have exited: end_run() needs mu_ first.
  ::syscall(SYS_tgkill, getpid(), tid_, signal_);
}

void InterruptControl::cancel_locked(CancelReason reason) {
  uint32_t none = 0;
  cancel_reason_.compare_exchange_strong(none, static_cast<uint32_t>(reason));  // the first reason wins
  kick_locked();
}

KillResult InterruptControl::kill() {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const KillResult stale = gone_ ? KillResult::kSandboxGone : KillResult::kNotRunning;
    if (gone_ || !running_) {
      metrics_->record_kill(stale);
      return stale;
    }
    generation = generation_;
    cancel_locked(CancelReason::kKilled);
  }
  metrics_->record_kill(KillResult::kInterrupted);
  // Keep kicking while that same call is still inside KVM_RUN. Outside it
  // (host function, between exits) the run loop checks the reason itself.
  const auto give_up = std::chrono::steady_clock::now() + kMaxResendTime;
  while (std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(retry_delay_ns_));
    std::lock_guard<std::mutex> lock(mu_);
    if (gone_ || !running_ || generation_ != generation || !in_guest_.load()) break;
    ::syscall(SYS_tgkill, getpid(), tid_, signal_);
  }
  return KillResult::kInterrupted;
}

void InterruptControl::kick() {
  std::lock_guard<std::mutex> lock(mu_);
  if (gone_ || !running_) return;
  kick_locked();
}

void InterruptControl::stop_next_run() { store_immediate_exit(run_, 1); }

void InterruptControl::time_out(uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (gone_ || !running_ || generation_ != generation) return;
  cancel_locked(CancelReason::kTimedOut);
}

void InterruptControl::arm_cpu_budget(uint64_t budget_ns, uint64_t thread_cpu_ns) {
  clockid_t clock = 0;
  // The checker reads this thread's CPU clock from the timer thread.
  if (pthread_getcpuclockid(pthread_self(), &clock) != 0)
    throw Error(ErrorCode::kHypervisor, "pthread_getcpuclockid failed: the CPU budget cannot be measured");
  std::lock_guard<std::mutex> lock(mu_);
  budget_ns_ = budget_ns;
  budget_start_cpu_ns_ = thread_cpu_ns;
  vcpu_thread_clock_ = clock;
  host_cpu_ns_.store(0);
  host_since_cpu_ns_.store(0);
}

void InterruptControl::leave_host_function(uint64_t thread_cpu_ns) {
  // Added before the start is cleared: a checker that sees no host function
  // running also sees its time excluded, so it never counts it as the guest's.
  const uint64_t since = host_since_cpu_ns_.load();
  host_cpu_ns_.fetch_add(thread_cpu_ns > since ? thread_cpu_ns - since : 0);
  host_since_cpu_ns_.store(0);
}

uint64_t InterruptControl::check_cpu_budget(uint64_t generation) {
  constexpr uint64_t kMinRecheckNs = 100'000;  // no busy polling while a host function runs
  std::lock_guard<std::mutex> lock(mu_);
  if (gone_ || !running_ || generation_ != generation || budget_ns_ == 0) return 0;
  struct timespec ts {};
  if (clock_gettime(vcpu_thread_clock_, &ts) != 0) return 0;  // the thread is gone: so is the call
  const uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
  const uint64_t since = host_since_cpu_ns_.load();
  const uint64_t end = since != 0 ? since : now;  // a running host function's time is not the guest's
  const uint64_t excluded = budget_start_cpu_ns_ + host_cpu_ns_.load();
  const uint64_t used = end > excluded ? end - excluded : 0;
  if (used >= budget_ns_) {
    cancel_locked(CancelReason::kCpuBudget);
    return 0;
  }
  return std::max(budget_ns_ - used, kMinRecheckNs);
}

uint64_t InterruptControl::begin_run() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = true;
  budget_ns_ = 0;
  generation_++;
  cancel_reason_.store(0, std::memory_order_seq_cst);
  tid_ = calling_thread_id();
  store_immediate_exit(run_, 0);
  return generation_;
}

void InterruptControl::end_run() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  budget_ns_ = 0;
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
