// Deleted sandboxes kept warm for the snapshot they were made from.
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
// asks a background thread to build more for that snapshot (new memory, the
// snapshot's pages, memory slots, a pooled VM), so that sandboxes made while
// earlier ones are still alive are also a restore away.
#pragma once

#include <cstdint>
#include <memory>

#include "sandbox/sandbox.h"

namespace hl {

class SpareSandboxes {
 public:
  static SpareSandboxes &instance();

  // Keeps sandbox if it can be reused and there is room, else destroys it.
  void retire(std::unique_ptr<Sandbox> sandbox) noexcept;
  // A parked sandbox whose baseline is snapshot, or null.
  std::unique_ptr<Sandbox> take(const std::shared_ptr<const Snapshot> &snapshot);
  // Has the background thread build spares for snapshot, up to capacity.
  // Never throws.
  void prefill(const std::shared_ptr<const Snapshot> &snapshot) noexcept;
  // Spares parked for snapshot (tests and benchmarks wait for them).
  uint32_t count_for(const std::shared_ptr<const Snapshot> &snapshot);

  // At most this many sandboxes are parked (hl_set_vm_pool_size sets it
  // with the VM pool's size); 0 parks none and destroys those parked.
  void set_capacity(uint32_t capacity);
  // Destroys the spares whose snapshot is gone (hl_snapshot_delete).
  void evict_expired();

 private:
  SpareSandboxes() = default;
  struct Impl;
  Impl &impl();
};

}  // namespace hl
