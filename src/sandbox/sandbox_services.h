// What a sandbox uses but does not own: the engine's KVM handle, VM pool,
// deadline timer, interrupt settings, metrics, span callback and sandbox
// ids. The engine that hands these out outlives every sandbox made with
// them (src/engine/engine.h); the metrics are shared because interrupt
// handles, which count kills, may outlive the engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/api_types.h"
#include "kvm/kvm_system.h"
#include "kvm/vm_pool.h"
#include "sandbox/deadline_timer.h"
#include "sandbox/interrupt.h"
#include "sandbox/metrics_recorder.h"

namespace hl {

// Receives span events (hl_engine_config_set_span_callback); empty for none.
using SpanCallback = std::function<void(const SpanEvent &)>;

struct SandboxServices {
  std::shared_ptr<const kvm::KvmSystem> kvm;
  kvm::VmPool *vm_pool = nullptr;
  DeadlineTimer *deadline_timer = nullptr;
  InterruptSettings interrupts;
  std::shared_ptr<MetricsRecorder> metrics = std::make_shared<MetricsRecorder>();
  const SpanCallback *span_callback = nullptr;   // null or empty: no spans
  std::atomic<uint64_t> *sandbox_ids = nullptr;  // the last id handed out
};

}  // namespace hl
