#include "sandbox/spare_sandboxes.h"

#include <deque>
#include <mutex>

#include "kvm/vm_pool.h"

namespace hl {

struct SpareSandboxes::Impl {
  std::mutex mu;
  uint32_t capacity = kvm::VmPool::kDefaultSize;
  struct Spare {
    std::weak_ptr<const Snapshot> snapshot;
    std::unique_ptr<Sandbox> sandbox;
  };
  std::deque<Spare> spares;  // oldest first

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
