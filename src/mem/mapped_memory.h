// Host memory mapped into guests (hl_sandbox_map_region, hl_sandbox_map_file_cow).
//
// One MappedMemory per map call, shared by reference count among every
// sandbox that maps it and every snapshot that records it (restoring such a
// snapshot maps it again, here or in another sandbox). When the last of
// them lets go, no sandbox maps the memory and none can map it again, so
// the destructor gives it back: it calls the caller's finalizer, or unmaps
// the library's own view of a file. That happens exactly once, on the
// thread that dropped the last reference: the caller of
// hl_sandbox_map_region (when the map fails), hl_sandbox_unmap_region,
// hl_sandbox_restore, hl_call_and_restore, hl_sandbox_delete or
// hl_snapshot_delete.
//
// Snapshots are freed when their last handle goes: sandboxes remember their
// restore baseline without keeping it alive (sandbox.h), and spares are
// never built for snapshots with mapped regions (spare_sandboxes.cpp), so
// no background thread holds one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "common/api_types.h"
#include "common/unique_mapping.h"
#include "mem/layout.h"

namespace hl {

// Hands a caller's memory back (hl_finalizer_t's shape).
using Finalizer = void (*)(void *user_data);

class MappedMemory {
 public:
  // The caller's memory, handed back through finalizer(user_data) (which
  // may be null: the caller then knows by other means).
  MappedMemory(const void *address, uint64_t size, Finalizer finalizer, void *user_data) noexcept
      : address_(address), size_(size), finalizer_(finalizer), user_data_(user_data) {}
  // A view the library mapped (hl_sandbox_map_file_cow), unmapped at the end.
  explicit MappedMemory(UniqueMapping view) noexcept
      : address_(view.data()), size_(view.size()), view_(std::move(view)) {}
  ~MappedMemory() {
    if (finalizer_ != nullptr) finalizer_(user_data_);
  }
  MappedMemory(const MappedMemory &) = delete;
  MappedMemory &operator=(const MappedMemory &) = delete;

  const void *address() const { return address_; }
  uint64_t size() const { return size_; }

 private:
  const void *address_;
  uint64_t size_;
  Finalizer finalizer_ = nullptr;
  void *user_data_ = nullptr;
  UniqueMapping view_;
};

// A region mapped into a sandbox, as the sandbox maps it and as a snapshot
// records it. Equal regions map the same MappedMemory (not merely the same
// address) at the same place with the same slot and permissions.
struct MappedRegion {
  uint64_t base = 0;
  uint32_t slot = 0;  // its KVM memory slot
  mem::PagePermissions permissions;
  std::string name;  // in fault reports: "mapped region", "mapped file '...'"
  std::shared_ptr<const MappedMemory> memory;

  uint64_t size() const { return memory->size(); }
  bool operator==(const MappedRegion &) const = default;
};

}  // namespace hl
