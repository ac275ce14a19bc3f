#include "sandbox/spare_sandboxes.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "kvm/vm_pool.h"

namespace hl {

struct SpareSandboxes::Impl {
  std::mutex mu;
  uint32_t capacity = kvm::VmPool::kDefaultSize;
  struct Spare {
    std::weak_ptr<const Snapshot> snapshot;
    std::unique_ptr<Sandbox> sandbox;
  };
  std::deque<Spare> spares;                            // oldest first
  std::deque<std::weak_ptr<const Snapshot>> requests;  // snapshots to build spares for
  std::condition_variable wake;
  bool worker_started = false;

  uint32_t count_locked(const std::shared_ptr<const Snapshot> &snapshot) const {
    uint32_t n = 0;
    for (const Spare &s : spares) n += s.snapshot.lock() == snapshot ? 1 : 0;
    return n;
  }

  // Builds spares for each requested snapshot until it has `capacity` of
  // them. Runs on its own thread, forever (the process may exit meanwhile:
  // everything it touches is never destroyed).
  void run() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return !requests.empty(); });
      std::shared_ptr<const Snapshot> snapshot = requests.front().lock();
      requests.pop_front();
      while (snapshot != nullptr && count_locked(snapshot) < capacity) {
        lock.unlock();
        std::unique_ptr<Sandbox> spare;
        try {
          spare = Sandbox::create_cold_from_snapshot(SandboxConfig{}, snapshot);
          if (spare->park() == nullptr) spare.reset();  // cannot be reused (no dirty ring)
        } catch (...) {
          spare.reset();  // KVM or memory refused: try again on a later request
        }
        lock.lock();
        if (spare == nullptr) break;
        spares.push_back({snapshot, std::move(spare)});
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

  // Spares whose snapshot is gone, or beyond capacity; destroyed by the
  // caller after the lock is released.
  std::deque<Spare> evict_locked() {
    std::deque<Spare> doomed;
    for (auto it = spares.begin(); it != spares.end();) {
      if (it->snapshot.expired()) {
        doomed.push_back(std::move(*it));
        it = spares.erase(it);
      } else {
        ++it;
      }
    }
    while (spares.size() > capacity) {
      doomed.push_back(std::move(spares.front()));
      spares.pop_front();
    }
    return doomed;
  }
};

SpareSandboxes &SpareSandboxes::instance() {
  static SpareSandboxes *spares = new SpareSandboxes();  // never destroyed, like the VM pool
  return *spares;
}

SpareSandboxes::Impl &SpareSandboxes::impl() {
  static Impl *impl = new Impl();
  return *impl;
}

void SpareSandboxes::retire(std::unique_ptr<Sandbox> sandbox) noexcept {
  std::deque<Impl::Spare> doomed;
  try {
    std::shared_ptr<const Snapshot> baseline = sandbox->park();
    if (baseline == nullptr) return;  // not reusable: destroyed on return
    Impl &p = impl();
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.capacity == 0) return;
    p.spares.push_back({baseline, std::move(sandbox)});
    doomed = p.evict_locked();
  } catch (...) {
    // Out of memory while parking: the sandbox is destroyed instead.
  }
}

std::unique_ptr<Sandbox> SpareSandboxes::take(const std::shared_ptr<const Snapshot> &snapshot) {
  Impl &p = impl();
  std::deque<Impl::Spare> doomed;
  std::unique_ptr<Sandbox> found;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    for (auto it = p.spares.rbegin(); it != p.spares.rend(); ++it)
      if (it->snapshot.lock() == snapshot) {
        found = std::move(it->sandbox);
        p.spares.erase(std::next(it).base());
        break;
      }
    doomed = p.evict_locked();
  }
  return found;
}

void SpareSandboxes::prefill(const std::shared_ptr<const Snapshot> &snapshot) noexcept {
  // Sandboxes with mapped regions are never parked (Sandbox::park), so a
  // spare of such a snapshot could not be kept; and the worker would hold
  // the snapshot, and so the regions' memory, while it tried.
  if (!snapshot->mapped_regions.empty()) return;
  Impl &p = impl();
  try {
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.capacity == 0 || p.count_locked(snapshot) >= p.capacity) return;
    for (const auto &queued : p.requests)
      if (queued.lock() == snapshot) return;
    p.requests.push_back(snapshot);
    if (!p.worker_started) {
      p.worker_started = true;
      std::thread([&p] { p.run(); }).detach();
    }
    p.wake.notify_one();
  } catch (...) {
    // No memory or no thread: sandboxes are then built when asked for.
  }
}

uint32_t SpareSandboxes::count_for(const std::shared_ptr<const Snapshot> &snapshot) {
  Impl &p = impl();
  std::lock_guard<std::mutex> lock(p.mu);
  return p.count_locked(snapshot);
}

void SpareSandboxes::set_capacity(uint32_t capacity) {
  Impl &p = impl();
  std::deque<Impl::Spare> doomed;
  std::lock_guard<std::mutex> lock(p.mu);
  p.capacity = capacity;
  doomed = p.evict_locked();
}

void SpareSandboxes::evict_expired() {
  Impl &p = impl();
  std::deque<Impl::Spare> doomed;
  std::lock_guard<std::mutex> lock(p.mu);
  doomed = p.evict_locked();
}

}  // namespace hl
