#include "engine/engine.h"

#include <mutex>

#include "common/error.h"
#include "sandbox/call_accounting.h"
#include "x86/cpu_state.h"

namespace hl {

namespace {

// Checked before anything is opened or started.
const EngineOptions &validated(const EngineOptions &options) {
  InterruptSettings::check_signal_offset(options.interrupts.signal_offset, "hl_engine_new");
  InterruptSettings::check_retry_delay_ns(options.interrupts.retry_delay_ns, "hl_engine_new");
  return options;
}

}  // namespace

Engine::Engine(const EngineOptions &options, const char *kvm_device)
    : options_(validated(options)),
      kvm_(kvm::KvmSystem::open(kvm_device)),
      vm_pool_(kvm_, options.vm_pool_size),
      services_{kvm_,         &vm_pool_, &deadline_timer_, options.interrupts, metrics_, &options_.span_callback,
                &sandbox_ids_},
      spares_(options.vm_pool_size, [this](const std::shared_ptr<const Snapshot> &snapshot) {
        return Sandbox::create_cold_from_snapshot(services_, SandboxConfig{}, snapshot);
      }) {}

std::shared_ptr<Engine> Engine::default_engine() {
  // Destroyed at exit, after which no sandbox may be used (the C ABI says
  // so); until then every sandbox made without an engine shares it.
  static std::mutex mu;
  static std::shared_ptr<Engine> engine;
  std::lock_guard<std::mutex> lock(mu);
  if (engine == nullptr) engine = std::make_shared<Engine>(EngineOptions{});
  return engine;
}

std::unique_ptr<Sandbox> Engine::create_sandbox(const SandboxConfig &config, std::span<const uint8_t> elf) {
  const uint64_t start = monotonic_ns();
  std::unique_ptr<Sandbox> sb = Sandbox::create(services_, config, elf);
  metrics_->record_created(SandboxOrigin::kCold, monotonic_ns() - start);
  return sb;
}

std::unique_ptr<Sandbox> Engine::create_sandbox_from_snapshot(const SandboxConfig &config,
                                                              const std::shared_ptr<const Snapshot> &snapshot) {
  // Refused before a spare is taken or a VM used: a sandbox that would fail
  // its first host call is better not made.
  if (config.host_functions != nullptr)
    Sandbox::check_host_functions(*snapshot, config.host_function_registry(), "hl_sandbox_new_from_snapshot",
                                  "the config's host-function set (hl_config_set_host_functions) does not have",
                                  "make a set that has it as it was when the snapshot was taken (a set cannot change "
                                  "once a sandbox was made with it)");
  const uint64_t start = monotonic_ns();
  // A sandbox gdb debugs is built for it: its stub listens from creation.
  std::unique_ptr<Sandbox> sb = config.effective_gdb_port() == 0 ? spares_.take(snapshot) : nullptr;
  if (sb != nullptr) {
    try {
      sb->unpark(config, snapshot);
    } catch (const Error &) {
      sb.reset();  // KVM refused something: build a new one instead
    }
  }
  SandboxOrigin origin = SandboxOrigin::kSpare;
  if (sb == nullptr) {
    sb = Sandbox::create_cold_from_snapshot(services_, config, snapshot);
    origin = sb->machine_from_pool() ? SandboxOrigin::kPool : SandboxOrigin::kSnapshot;
  }
  metrics_->record_created(origin, monotonic_ns() - start);
  spares_.prefill(snapshot);  // so that the next one is a restore away too
  return sb;
}

void Engine::retire(std::unique_ptr<Sandbox> sandbox) noexcept {
  if (sandbox != nullptr) metrics_->record_deleted();
  spares_.retire(std::move(sandbox));
}

void Engine::evict_expired_spares() { spares_.evict_expired(); }

uint64_t Engine::host_cr4() const { return hl::host_cr4(kvm_->offers_umip()); }

}  // namespace hl
