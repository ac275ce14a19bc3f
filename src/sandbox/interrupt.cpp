#include "sandbox/interrupt.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace hl {
namespace {

struct sigaction g_previous_action;
bool g_has_previous_action = false;

// Interrupts KVM_RUN by its mere delivery. Signals that some other part of
// the process sent go on to whatever handler was installed before ours.
void on_interrupt_signal(int sig, siginfo_t *info, void *context) {
  if (info != nullptr && info->si_code == SI_TKILL && info->si_pid == getpid()) return;
  if (!g_has_previous_action) return;
  if ((g_previous_action.sa_flags & SA_SIGINFO) != 0 && g_previous_action.sa_sigaction != nullptr) {
    g_previous_action.sa_sigaction(sig, info, context);
  } else if (g_previous_action.sa_handler != SIG_IGN && g_previous_action.sa_handler != SIG_DFL &&
             g_previous_action.sa_handler != nullptr) {
    g_previous_action.sa_handler(sig);
  }
}

void store_immediate_exit(kvm_run *run, uint8_t value) {
  __atomic_store_n(&run->immediate_exit, value, __ATOMIC_SEQ_CST);
}

}  // namespace

int interrupt_signal() { return SIGRTMIN + kDefaultInterruptSignalOffset; }

void install_interrupt_signal_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = on_interrupt_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    struct sigaction previous;
    if (sigaction(interrupt_signal(), &action, &previous) == 0 && previous.sa_sigaction != on_interrupt_signal) {
      g_previous_action = previous;
      g_has_previous_action = true;
    }
  });
}

hl_kill_result_t InterruptControl::kill() {
  std::lock_guard<std::mutex> lock(mu_);
  if (gone_) return HL_KILL_SANDBOX_GONE;
  if (!running_) return HL_KILL_NOT_RUNNING;
  cancel_.store(true, std::memory_order_seq_cst);
  store_immediate_exit(run_, 1);
  // tid_ cannot have exited: end_run() needs this mutex first.
  ::syscall(SYS_tgkill, getpid(), tid_, interrupt_signal());
  return HL_KILL_INTERRUPTED;
}

void InterruptControl::begin_run() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = true;
  cancel_.store(false, std::memory_order_seq_cst);
  tid_ = static_cast<pid_t>(::syscall(SYS_gettid));
  store_immediate_exit(run_, 0);
}

void InterruptControl::end_run() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  cancel_.store(false, std::memory_order_seq_cst);
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
