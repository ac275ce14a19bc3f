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
