// What a sandbox uses but does not own: the engine's KVM handle, VM pool,
// deadline timer and interrupt settings. The engine that hands these out
// outlives every sandbox made with them (src/engine/engine.h).
#pragma once

#include <memory>

#include "kvm/kvm_system.h"
#include "kvm/vm_pool.h"
#include "sandbox/deadline_timer.h"
#include "sandbox/interrupt.h"

namespace hl {

struct SandboxServices {
  std::shared_ptr<const kvm::KvmSystem> kvm;
  kvm::VmPool *vm_pool = nullptr;
  DeadlineTimer *deadline_timer = nullptr;
  InterruptSettings interrupts;
};

}  // namespace hl
