// An engine: what sandboxes share. It owns the KVM handle, the VM pool, the
// deadline timer, the sandboxes kept warm for snapshots, the interrupt
// settings and the metrics; sandboxes are made against one (hl_engine_t, like wasmtime's
// Engine).
//
// Lifetime: shared. The C handle, every config that names the engine and
// every sandbox made with it hold a reference; the engine is destroyed with
// the last, and its destructor joins its threads (each started on first
// use). Without an explicit engine, sandboxes use the default engine, made
// on first use and kept until the process exits.
//
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "engine/spare_sandboxes.h"
#include "kvm/kvm_system.h"
#include "kvm/vm_pool.h"
#include "sandbox/config.h"
#include "sandbox/deadline_timer.h"
#include "sandbox/interrupt.h"
#include "sandbox/metrics_recorder.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_services.h"
#include "snapshot/snapshot.h"

namespace hl {

struct EngineOptions {
  // Ready VMs kept in the pool, and sandboxes kept warm per engine.
  uint32_t vm_pool_size = kvm::VmPool::kDefaultSize;
  InterruptSettings interrupts;
  // Start and end of every call and host call (empty: none).
  SpanCallback span_callback;
};

class Engine {
 public:
  // Opens /dev/kvm. Throws Error: NO_HYPERVISOR, INVALID_ARGUMENT.
  explicit Engine(const EngineOptions &options, const char *kvm_device = "/dev/kvm");
  ~Engine() = default;
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  // The process's default engine (default options), made on first use.
  // Throws NO_HYPERVISOR if /dev/kvm is unusable (and tries again next time).
  static std::shared_ptr<Engine> default_engine();

  std::unique_ptr<Sandbox> create_sandbox(const SandboxConfig &config, std::span<const uint8_t> elf);
  // A sandbox in the snapshot's state: a spare kept warm for it when there
  // is one, else built anew; then has more spares built ahead of time.
  std::unique_ptr<Sandbox> create_sandbox_from_snapshot(const SandboxConfig &config,
                                                        const std::shared_ptr<const Snapshot> &snapshot);
  // A sandbox its user deleted: kept warm for its snapshot when it can be
  // reused and there is room, else destroyed. Never throws.
  void retire(std::unique_ptr<Sandbox> sandbox) noexcept;
  // Destroys the spares of snapshots that are gone.
  void evict_expired_spares();

  // The counters and histograms (hl_engine_metrics); lock-free.
  Metrics metrics() const { return metrics_->read(); }

  // CR4 for vCPUs of this machine (UMIP where KVM offers it).
  uint64_t host_cr4() const;
  const EngineOptions &options() const { return options_; }
  SpareSandboxes &spares() { return spares_; }

 private:
  const EngineOptions options_;
  const std::shared_ptr<const kvm::KvmSystem> kvm_;
  // Before services_, which points at them.
  const std::shared_ptr<MetricsRecorder> metrics_ = std::make_shared<MetricsRecorder>();
  std::atomic<uint64_t> sandbox_ids_{0};
  // Destroyed in reverse: the spares first (their VMs go back to the pool),
  // then the timer, then the pool; each joins its own thread.
  kvm::VmPool vm_pool_;
  DeadlineTimer deadline_timer_;
  const SandboxServices services_;
  SpareSandboxes spares_;
};

}  // namespace hl
