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
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "hl-deadlines");  // named for debuggers and tests
  }
  uint64_t id = next_id_++;
  auto it = by_time_.emplace(deadline, id);
  by_id_.emplace(id, std::make_pair(it, Entry{std::move(target), generation}));
  wake_.notify_one();
  return id;
}

void DeadlineTimer::cancel(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_time_.erase(it->second.first);
  by_id_.erase(it);
}

void DeadlineTimer::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (by_time_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto first = by_time_.begin();
    if (Clock::now() < first->first) {
      // A copy: while we wait (lock released) cancel() may erase that entry.
      const Clock::time_point next = first->first;
      wake_.wait_until(lock, next);
      continue;
    }
    auto entry = by_id_.find(first->second);
    Entry due = entry->second.second;
    by_id_.erase(entry);
    by_time_.erase(first);
    lock.unlock();  // time_out takes the sandbox's own mutex
    if (auto target = due.target.lock()) target->time_out(due.generation);
    lock.lock();
  }
}

}  // namespace hl
