#include "sandbox/deadline_timer.h"

#include <pthread.h>

namespace hl {

DeadlineTimer::~DeadlineTimer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t DeadlineTimer::schedule(Clock::time_point deadline, std::weak_ptr<InterruptControl> target,
                                 uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  return add_locked(deadline, Entry{std::move(target), generation, Kind::kDeadline}, next_id_++);
}

uint64_t DeadlineTimer::schedule_cpu_budget_check(Clock::time_point first_check, std::weak_ptr<InterruptControl> target,
                                                  uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  return add_locked(first_check, Entry{std::move(target), generation, Kind::kCpuBudget}, next_id_++);
}

uint64_t DeadlineTimer::add_locked(Clock::time_point when, Entry entry, uint64_t id) {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "hl-deadlines");  // named for debuggers and tests
  }
  auto it = by_time_.emplace(when, id);
  by_id_.emplace(id, std::make_pair(it, std::move(entry)));
  // While run() is awake it looks at the map again before it sleeps.
  if (when < sleeping_until_) wake_.notify_one();
  return id;
}

void DeadlineTimer::cancel(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (id == in_flight_id_) in_flight_cancelled_ = true;
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_time_.erase(it->second.first);
  by_id_.erase(it);
}

void DeadlineTimer::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (by_time_.empty()) {
      sleeping_until_ = Clock::time_point::max();
      wake_.wait(lock);
      continue;
    }
    auto first = by_time_.begin();
    if (Clock::now() < first->first) {
      // A copy: while we wait (lock released) cancel() may erase that entry.
      const Clock::time_point next = first->first;
      sleeping_until_ = next;
      wake_.wait_until(lock, next);
      continue;
    }
    const uint64_t id = first->second;
    auto entry = by_id_.find(id);
    Entry due = entry->second.second;
    by_id_.erase(entry);
    by_time_.erase(first);
    in_flight_id_ = id;
    in_flight_cancelled_ = false;
    lock.unlock();  // time_out and check_cpu_budget take the sandbox's own mutex
    uint64_t check_again_ns = 0;
    if (auto target = due.target.lock()) {
      if (due.kind == Kind::kDeadline)
        target->time_out(due.generation);
      else
        check_again_ns = target->check_cpu_budget(due.generation);
    }
    lock.lock();
    if (check_again_ns != 0 && !in_flight_cancelled_ && !stopping_)
      add_locked(Clock::now() + std::chrono::nanoseconds(check_again_ns), std::move(due), id);
    in_flight_id_ = 0;
  }
}

}  // namespace hl
