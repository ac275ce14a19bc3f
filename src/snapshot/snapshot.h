// A snapshot: everything needed to put a sandbox back into one state.
//
// Immutable once made and shared by reference count, so any number of
// sandboxes on any threads may use it at once. hl_snapshot_t holds a
// reference, and so does every call that uses it while it runs; sandboxes
// that restored it or were made from it remember it (their restore
// baseline) without keeping it alive: once no handle can restore it, it is
// freed, and with it the mapped regions it records (mapped_memory.h).
// docs/snapshots.md describes what it holds and what restore resets.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kvm/vcpu_state.h"
#include "mem/layout.h"
#include "mem/mapped_memory.h"
#include "protocol/guest_interface.h"
#include "snapshot/snapshot_memory.h"

namespace hl {

struct Snapshot {
  mem::Layout layout;
  // The sandbox's regions besides mapped ones, image segments by name (for
  // fault reports); names are static strings (see canonical_region_name).
  std::vector<mem::Region> fixed_regions;
  // The regions mapped when it was taken; their memory stays valid while
  // the snapshot lives (each holds a reference).
  std::vector<MappedRegion> mapped_regions;
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
