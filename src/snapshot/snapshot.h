// A snapshot: everything needed to put a sandbox back into one state.
//
// Immutable once made and shared by reference count (hl_snapshot_t holds
// one reference, each sandbox that restored it or was made from it holds
// another), so any number of sandboxes on any threads may use it at once.
// docs/snapshots.md describes what it holds and what restore resets.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/unique_mapping.h"
#include "kvm/vcpu_state.h"
#include "mem/layout.h"
#include "protocol/guest_interface.h"
#include "snapshot/snapshot_memory.h"

namespace hl {

// A region mapped into the sandbox with hl_sandbox_map_region (host memory
// the caller keeps alive) or hl_sandbox_map_file_cow (a view shared here).
struct SnapshotMappedRegion {
  uint64_t base = 0, size = 0;
  const void *host_address = nullptr;
  uint32_t slot = 0;
  bool executable = false;
  std::string name;
  std::shared_ptr<UniqueMapping> file_view;
};

struct Snapshot {
  mem::Layout layout;
  // The sandbox's regions besides mapped ones, image segments by name (for
  // fault reports); names are static strings (see canonical_region_name).
  std::vector<mem::Region> fixed_regions;
  std::vector<SnapshotMappedRegion> mapped_regions;
  kvm::VcpuState vcpu;
  GuestInterface guest;
  // Host functions registered when it was taken: a sandbox it is restored
  // onto must offer each of them with the same signature.
  std::map<std::string, FunctionSignature, std::less<>> host_functions;
  uint64_t counter = 0;
  SnapshotMemory memory;
};

// The static string for a fixed region's name, or "" if name is not one.
std::string_view canonical_region_name(std::string_view name);

// "" if the layouts are the same, else the first difference in words.
std::string describe_layout_difference(const mem::Layout &snapshot, const mem::Layout &sandbox);

}  // namespace hl
