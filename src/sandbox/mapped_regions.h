// Host memory and files mapped into one sandbox's guest, and the regions a
// page fault is reported against.
//
// Each region gets its own KVM memory slot (read-only to KVM) and page-table
// entries from the pool reserved in the page-table area. Regions are never
// writable by the guest: the host would have to treat every byte as racing
// with the guest (a time-of-check/time-of-use hazard for whatever reads it),
// and a read-only share covers the uses we know (models, data sets, code).
//
// The memory of each region is a MappedMemory shared with the snapshots that
// record the region (mem/mapped_memory.h): unmapping drops this table's
// reference, and the last reference gives the memory back. Memory stays
// referenced while a KVM slot maps it and a vCPU may run: only on delete,
// with no vCPU running, do the references go first (Sandbox::~Sandbox).
//
// The one owner is the sandbox. It holds its busy flag around every change,
// drops the references map() and unmap() let go only once the flag is
// cleared (so finalizers run when the sandbox is no longer busy), and
// reloads the vCPU's MMU after the page tables change.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kvm/vm.h"
#include "mem/layout.h"
#include "mem/mapped_memory.h"
#include "sandbox/restore_tracker.h"
#include "snapshot/snapshot.h"

namespace hl {

class MappedRegions {
 public:
  // vm, page_tables (the host view of the whole page-table area of the
  // sandbox's memory, laid out by layout) and tracker belong to the sandbox
  // and outlive this table.
  MappedRegions(kvm::Vm &vm, std::span<uint8_t> page_tables, const mem::Layout &layout, RestoreTracker &tracker);
  // Drops the references only: the KVM slots go with the VM, whose owner
  // deletes them (slots()).
  ~MappedRegions() = default;
  MappedRegions(const MappedRegions &) = delete;
  MappedRegions &operator=(const MappedRegions &) = delete;

  // Maps memory read-only at guest_address (flags: HL_MAP_*; name: how fault
  // reports call it). Throws Error (INVALID_ARGUMENT, NOT_ALIGNED,
  // REGION_OVERLAP, TOO_LARGE, ...) and then keeps no reference: the
  // caller's own is the one left, for it to drop after its busy flag.
  void map(const std::shared_ptr<const MappedMemory> &memory, uint64_t guest_address, uint32_t flags, std::string name);
  // Unmaps the region that starts at guest_address (REGION_NOT_FOUND if
  // none) and returns this table's reference to its memory, for the caller
  // to drop after its busy flag: if it is the last, the finalizer runs then.
  [[nodiscard]] std::shared_ptr<const MappedMemory> unmap(uint64_t guest_address);

  // The regions by guest address, as a snapshot records them (sharing each
  // one's memory).
  std::vector<MappedRegion> regions() const;
  // True if snapshot records exactly these regions: the same memory, not
  // just the same addresses.
  bool matches(const Snapshot &snapshot) const;
  // Makes the snapshot's regions the mapped ones. The page tables come with
  // the snapshot's memory; this replaces the KVM slots. Regions mapped here
  // and not in the snapshot lose this table's reference (their finalizer
  // runs here if it was the last).
  void replace_with(const Snapshot &snapshot);
  bool empty() const { return by_address_.empty(); }
  // The KVM slots of the mapped regions (guest memory's own are not here),
  // for the owner to delete with the VM.
  std::vector<uint32_t> slots() const;

  // The regions of the sandbox's own memory, image segments by name (from
  // boot, or from the snapshot it was restored to).
  void set_fixed_regions(std::vector<mem::Region> regions);
  const std::vector<mem::Region> &fixed_regions() const { return fixed_regions_; }
  // The fixed regions and the mapped ones: what a page fault is reported
  // against (fault_report.h).
  std::span<const mem::Region> fault_regions() const { return fault_regions_; }

 private:
  void rebuild_fault_regions();

  kvm::Vm &vm_;
  std::span<uint8_t> page_tables_;
  const mem::Layout layout_;
  RestoreTracker &tracker_;
  // Holds every region KVM may map: after a failure midway, more rather
  // than fewer (their memory stays valid, and the owner deletes every slot
  // listed here).
  std::map<uint64_t, MappedRegion> by_address_;
  std::vector<mem::Region> fixed_regions_;
  std::vector<mem::Region> fault_regions_;  // fixed_regions_, then the mapped ones
};

}  // namespace hl
