// One process-wide thread that cancels calls whose time limit has passed.
// A call registers (deadline, its InterruptControl, its generation) and
// unregisters when it ends; an expired entry calls time_out(generation),
// which does nothing if that call has already finished.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "sandbox/interrupt.h"

namespace hl {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  static DeadlineTimer &instance();

  // Returns an id for cancel().
  uint64_t schedule(Clock::time_point deadline, std::weak_ptr<InterruptControl> target, uint64_t generation);
  void cancel(uint64_t id);

 private:
  DeadlineTimer() = default;
  void run();
  struct State;
  State &state();
};

}  // namespace hl
