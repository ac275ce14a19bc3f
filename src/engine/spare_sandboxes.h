// Deleted sandboxes kept warm for the snapshot they were made from; an
// engine owns one set.
//
// A sandbox created from a snapshot (or restored to one) knows which of its
// pages differ from it, so turning it back into a fresh sandbox from that
// snapshot is a restore (microseconds) instead of new memory, memory slots
// and a VM (hundreds of microseconds). hl_sandbox_delete parks such a
// sandbox here after removing everything that belonged to its user (host
// functions and their finalizers, log callback, interrupt handles), and
// hl_sandbox_new_from_snapshot takes it back and restores it exactly (the
// exactness tests cover this path). A parked sandbox does not keep its
// snapshot alive; once the snapshot is gone, its spares are destroyed.
//
// Spares are also made ahead of time: each sandbox made from a snapshot
// asks a background thread (started on first use, joined by the
// destructor) to build more for that snapshot, so that sandboxes made while
// earlier ones are still alive are also a restore away. It builds up to
// capacity - 1 (at least 1): the sandbox just made is the last one, parked
// again when its user deletes it. A service that makes, calls and deletes a
// sandbox per request then reuses the same ones and builds none; building
// up to capacity made it build one per request and destroy another when the
// deleted one was parked over capacity (docs/benchmarks.md, tail latency).
//
// Spares pushed out (over capacity) are destroyed on the background thread,
// not on the thread that made or deleted a sandbox: a VM's teardown is tens
// of microseconds.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "sandbox/sandbox.h"

namespace hl {

class SpareSandboxes {
 public:
  // Builds a new sandbox in the snapshot's state (Sandbox::create_cold_from_snapshot).
  using Builder = std::function<std::unique_ptr<Sandbox>(const std::shared_ptr<const Snapshot> &)>;

  // At most capacity sandboxes are parked; 0 parks none.
  SpareSandboxes(uint32_t capacity, Builder build);
  // Joins the thread and destroys every spare.
  ~SpareSandboxes();
  SpareSandboxes(const SpareSandboxes &) = delete;
  SpareSandboxes &operator=(const SpareSandboxes &) = delete;

  // Keeps sandbox if it can be reused and there is room, else destroys it.
  void retire(std::unique_ptr<Sandbox> sandbox) noexcept;
  // A parked sandbox whose baseline is snapshot, or null.
  std::unique_ptr<Sandbox> take(const std::shared_ptr<const Snapshot> &snapshot);
  // Has the background thread build spares for snapshot, up to capacity.
  // Never throws.
  void prefill(const std::shared_ptr<const Snapshot> &snapshot) noexcept;
  // Spares parked for snapshot (tests and benchmarks wait for them).
  uint32_t count_for(const std::shared_ptr<const Snapshot> &snapshot);
  // Destroys the spares whose snapshot is gone (hl_snapshot_delete).
  void evict_expired();

 private:
  struct Spare {
    std::weak_ptr<const Snapshot> snapshot;
    std::unique_ptr<Sandbox> sandbox;
  };
  uint32_t count_locked(const std::shared_ptr<const Snapshot> &snapshot) const;
  // Spares whose snapshot is gone, or beyond capacity; destroyed by the
  // caller after the lock is released.
  std::deque<Spare> evict_locked();
  // The same, handed to the background thread to destroy.
  void bury_evicted_locked();
  void start_thread_locked();
  uint32_t build_ahead() const { return capacity_ > 1 ? capacity_ - 1 : capacity_; }
  void run();

  const uint32_t capacity_;
  const Builder build_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Spare> spares_;                            // oldest first
  std::deque<std::weak_ptr<const Snapshot>> requests_;  // snapshots to build spares for
  std::deque<Spare> graveyard_;                         // for the background thread to destroy
  std::thread thread_;                                  // last: joined before the rest is destroyed
};

}  // namespace hl
