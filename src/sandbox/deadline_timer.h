// Cancels calls whose time limit has passed, on one thread of its own
// (started on first use, joined by the destructor); an engine owns one.
// A call registers (deadline, its InterruptControl, its generation) and
// unregisters when it ends; an expired entry calls time_out(generation),
// which does nothing if that call has already finished. CPU budgets use the
// same thread: a budget entry asks check_cpu_budget(generation) and comes
// back as often as that says (the earliest the budget could run out).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "sandbox/interrupt.h"

namespace hl {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  DeadlineTimer() = default;
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer &) = delete;
  DeadlineTimer &operator=(const DeadlineTimer &) = delete;

  // Returns an id for cancel().
  uint64_t schedule(Clock::time_point deadline, std::weak_ptr<InterruptControl> target, uint64_t generation);
  uint64_t schedule_cpu_budget_check(Clock::time_point first_check, std::weak_ptr<InterruptControl> target,
                                     uint64_t generation);
  void cancel(uint64_t id);

 private:
  void run();

  enum class Kind { kDeadline, kCpuBudget };
  struct Entry {
    std::weak_ptr<InterruptControl> target;
    uint64_t generation;
    Kind kind;
  };
  uint64_t add_locked(Clock::time_point when, Entry entry, uint64_t id);
  std::mutex mu_;
  std::condition_variable wake_;
  std::multimap<Clock::time_point, uint64_t> by_time_;
  std::map<uint64_t, std::pair<std::multimap<Clock::time_point, uint64_t>::iterator, Entry>> by_id_;
  uint64_t next_id_ = 1;
  // The entry run() is acting on with mu_ released, and whether cancel()
  // asked for it meanwhile (then a budget check is not put back).
  uint64_t in_flight_id_ = 0;
  bool in_flight_cancelled_ = false;
  bool stopping_ = false;
  // When run() will wake by itself (max: never). A new entry that is not
  // due before then does not wake it: a call with a time limit then costs
  // no thread wake-up, only the entry (most calls end long before it).
  Clock::time_point sleeping_until_ = Clock::time_point::max();
  std::thread thread_;  // last: joined before the rest is destroyed
};

}  // namespace hl
