#include "sandbox/deadline_timer.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace hl {

struct DeadlineTimer::State {
  struct Entry {
    std::weak_ptr<InterruptControl> target;
    uint64_t generation;
  };
  std::mutex mu;
  std::condition_variable wake;
  std::multimap<Clock::time_point, uint64_t> by_time;
  std::map<uint64_t, std::pair<std::multimap<Clock::time_point, uint64_t>::iterator, Entry>> by_id;
  uint64_t next_id = 1;
  bool started = false;
};

DeadlineTimer &DeadlineTimer::instance() {
  // Never destroyed: its thread may still be waiting when the process exits.
  static DeadlineTimer *timer = new DeadlineTimer();
  return *timer;
}

DeadlineTimer::State &DeadlineTimer::state() {
  static State *s = new State();
  return *s;
}

uint64_t DeadlineTimer::schedule(Clock::time_point deadline, std::weak_ptr<InterruptControl> target,
                                 uint64_t generation) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.started) {
    std::thread([this] { run(); }).detach();
    s.started = true;
  }
  uint64_t id = s.next_id++;
  auto it = s.by_time.emplace(deadline, id);
  s.by_id.emplace(id, std::make_pair(it, State::Entry{std::move(target), generation}));
  s.wake.notify_one();
  return id;
}

void DeadlineTimer::cancel(uint64_t id) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.by_id.find(id);
  if (it == s.by_id.end()) return;
  s.by_time.erase(it->second.first);
  s.by_id.erase(it);
}

void DeadlineTimer::run() {
  State &s = state();
  std::unique_lock<std::mutex> lock(s.mu);
  for (;;) {
    if (s.by_time.empty()) {
      s.wake.wait(lock);
      continue;
    }
    auto first = s.by_time.begin();
    if (Clock::now() < first->first) {
      // A copy: while we wait (lock released) cancel() may erase that entry.
      const Clock::time_point next = first->first;
      s.wake.wait_until(lock, next);
      continue;
    }
    auto entry = s.by_id.find(first->second);
    State::Entry due = entry->second.second;
    s.by_id.erase(entry);
    s.by_time.erase(first);
    lock.unlock();  // time_out takes the sandbox's own mutex
    if (auto target = due.target.lock()) target->time_out(due.generation);
    lock.lock();
  }
}

}  // namespace hl
