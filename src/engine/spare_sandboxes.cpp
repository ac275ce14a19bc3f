#include "engine/spare_sandboxes.h"

#include <pthread.h>

namespace hl {

SpareSandboxes::SpareSandboxes(uint32_t capacity, Builder build) : capacity_(capacity), build_(std::move(build)) {}

SpareSandboxes::~SpareSandboxes() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint32_t SpareSandboxes::count_locked(const std::shared_ptr<const Snapshot> &snapshot) const {
  uint32_t n = 0;
  for (const Spare &s : spares_) n += s.snapshot.lock() == snapshot ? 1 : 0;
  return n;
}

// Destroys what was pushed out, then builds spares for each requested
// snapshot until it has build_ahead() of them.
void SpareSandboxes::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !requests_.empty() || !graveyard_.empty(); });
    if (stopping_) return;
    if (!graveyard_.empty()) {
      std::deque<Spare> doomed = std::move(graveyard_);
      graveyard_.clear();
      lock.unlock();
      doomed.clear();
      lock.lock();
      continue;
    }
    std::shared_ptr<const Snapshot> snapshot = requests_.front().lock();
    requests_.pop_front();
    while (snapshot != nullptr && !stopping_ && count_locked(snapshot) < build_ahead()) {
      lock.unlock();
      std::unique_ptr<Sandbox> spare;
      try {
        spare = build_(snapshot);
        if (spare->park() == nullptr) spare.reset();  // cannot be reused (no dirty ring)
      } catch (...) {
        spare.reset();  // KVM or memory refused: try again on a later request
      }
      lock.lock();
      if (spare == nullptr) break;
      spares_.push_back({snapshot, std::move(spare)});
      std::deque<Spare> doomed = evict_locked();
      lock.unlock();
      doomed.clear();
      lock.lock();
    }
    if (snapshot != nullptr) {
      lock.unlock();
      snapshot.reset();  // may be the last reference: not under the lock
      lock.lock();
    }
  }
}

std::deque<SpareSandboxes::Spare> SpareSandboxes::evict_locked() {
  std::deque<Spare> doomed;
  for (auto it = spares_.begin(); it != spares_.end();) {
    if (it->snapshot.expired()) {
      doomed.push_back(std::move(*it));
      it = spares_.erase(it);
    } else {
      ++it;
    }
  }
  while (spares_.size() > capacity_) {
    doomed.push_back(std::move(spares_.front()));
    spares_.pop_front();
  }
  return doomed;
}

void SpareSandboxes::bury_evicted_locked() {
  std::deque<Spare> doomed = evict_locked();
  if (doomed.empty()) return;
  for (Spare &spare : doomed) graveyard_.push_back(std::move(spare));
  start_thread_locked();
  wake_.notify_one();
}

void SpareSandboxes::start_thread_locked() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "hl-spares");  // named for debuggers and tests
}

void SpareSandboxes::retire(std::unique_ptr<Sandbox> sandbox) noexcept {
  try {
    if (capacity_ == 0) return;  // destroyed on return
    std::shared_ptr<const Snapshot> baseline = sandbox->park();
    if (baseline == nullptr) return;  // not reusable
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    spares_.push_back({baseline, std::move(sandbox)});
    bury_evicted_locked();
  } catch (...) {
    // Out of memory while parking: the sandbox is destroyed instead. (Without
    // a thread, what was pushed out waits in the graveyard for the next
    // start or the destructor.)
  }
}

std::unique_ptr<Sandbox> SpareSandboxes::take(const std::shared_ptr<const Snapshot> &snapshot) {
  std::unique_ptr<Sandbox> found;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = spares_.rbegin(); it != spares_.rend(); ++it)
    if (it->snapshot.lock() == snapshot) {
      found = std::move(it->sandbox);
      spares_.erase(std::next(it).base());
      break;
    }
  try {
    bury_evicted_locked();
  } catch (...) {
    // No thread: what was pushed out waits in the graveyard.
  }
  return found;
}

void SpareSandboxes::prefill(const std::shared_ptr<const Snapshot> &snapshot) noexcept {
  // Sandboxes with mapped regions are never parked (Sandbox::park), so a
  // spare of such a snapshot could not be kept; and the builder would hold
  // the snapshot, and so the regions' memory, while it tried.
  if (!snapshot->mapped_regions.empty()) return;
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || capacity_ == 0 || count_locked(snapshot) >= build_ahead()) return;
    for (const auto &queued : requests_)
      if (queued.lock() == snapshot) return;
    requests_.push_back(snapshot);
    start_thread_locked();
    wake_.notify_one();
  } catch (...) {
    // No memory or no thread: sandboxes are then built when asked for.
  }
}

uint32_t SpareSandboxes::count_for(const std::shared_ptr<const Snapshot> &snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  return count_locked(snapshot);
}

void SpareSandboxes::evict_expired() {
  std::deque<Spare> doomed;
  std::lock_guard<std::mutex> lock(mu_);
  doomed = evict_locked();
}

}  // namespace hl
