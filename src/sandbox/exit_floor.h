// The least a call into a sandbox can cost on this machine: one KVM_RUN
// round trip on that sandbox's own VM and vCPU (its CPUID, control
// registers, GDT/TSS/IDT, memory slots, dirty ring and sync_regs), with the
// guest doing nothing but exit again. The benchmarks (bench/) measure every
// call against it; a hand-built VM differs in ways that change the exit cost
// (docs/benchmarks.md), so it cannot be the floor.
//
// Internal, for measurement only: not in the C API.
#pragma once

#include <array>
#include <cstdint>

#include "sandbox/busy_guard.h"
#include "sandbox/sandbox.h"

namespace hl {

class ExitFloor {
 public:
  // Holds the sandbox busy and replaces the first bytes of its dispatch
  // entry with `out HL_PORT_DONE; jmp back`. Throws BUSY, or POISONED.
  explicit ExitFloor(Sandbox &sandbox);
  // Puts the code back and poisons the sandbox: its vCPU state is the
  // floor's, so only a restore makes it usable again.
  ~ExitFloor();
  ExitFloor(const ExitFloor &) = delete;
  ExitFloor &operator=(const ExitFloor &) = delete;

  // One KVM_RUN: the guest resumes at the jump and exits at once. False on
  // any other stop.
  bool exit_once() const;
  // Writes the entry registers through sync_regs first, as every call does
  // (no ioctl; KVM loads them on entry), then exits once.
  bool enter_and_exit() const;

 private:
  Sandbox &sandbox_;
  BusyGuard busy_;
  std::array<uint8_t, 4> saved_code_{};
};

}  // namespace hl
