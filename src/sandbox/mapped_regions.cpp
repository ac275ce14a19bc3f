#include "sandbox/mapped_regions.h"

#include <algorithm>

#include "common/error.h"
#include "x86/page_tables.h"

namespace hl {
namespace {

constexpr uint32_t kFirstMappingSlot = 3;  // 0-2 hold guest memory (Sandbox::map_memory_slots)
constexpr uint32_t kMaxMappingSlots = 256;

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

bool aligned(uint64_t v) { return v % mem::kPageSize == 0; }

}  // namespace

MappedRegions::MappedRegions(kvm::Vm &vm, std::span<uint8_t> page_tables, const mem::Layout &layout,
                             RestoreTracker &tracker)
    : vm_(vm), page_tables_(page_tables), layout_(layout), tracker_(tracker) {}

void MappedRegions::map(const std::shared_ptr<const MappedMemory> &memory, uint64_t guest_address, uint32_t flags,
                        std::string name) {
  const void *host_address = memory->address();
  const uint64_t size = memory->size();
  if (host_address == nullptr || size == 0)
    throw Error(ErrorCode::kInvalidArgument, "hl_sandbox_map_region: host_address is NULL or size is 0");
  if ((flags & ~(MapFlag::kRead | MapFlag::kWrite | MapFlag::kExecute)) != 0 || (flags & MapFlag::kRead) == 0)
    throw Error(ErrorCode::kInvalidArgument,
                format("hl_sandbox_map_region: flags 0x%x must include HL_MAP_READ and only known bits", flags));
  if (flags & MapFlag::kWrite)
    throw Error(ErrorCode::kInvalidArgument,
                "hl_sandbox_map_region: HL_MAP_WRITE is refused: shared writable memory would let the guest change "
                "data while the host reads it (see docs/memory.md)");
  if (!aligned(reinterpret_cast<uintptr_t>(host_address)) || !aligned(size) || !aligned(guest_address))
    throw Error(ErrorCode::kNotAligned,
                format("hl_sandbox_map_region: host address %p, size 0x%llx and guest address 0x%llx must all be "
                       "multiples of 4 KiB",
                       host_address, ull(size), ull(guest_address)));
  if (guest_address < layout_.memory_size)
    throw Error(ErrorCode::kRegionOverlap,
                format("hl_sandbox_map_region: guest address 0x%llx is inside the sandbox's own memory (which ends at "
                       "0x%llx)",
                       ull(guest_address), ull(layout_.memory_size)));
  if (guest_address > mem::kMappingLimit || size > mem::kMappingLimit - guest_address)
    throw Error(ErrorCode::kInvalidArgument,
                format("hl_sandbox_map_region: [0x%llx, +0x%llx) reaches past the 512 GiB mapping limit",
                       ull(guest_address), ull(size)));
  for (const auto &[base, r] : by_address_)
    if (guest_address < r.base + r.size() && r.base < guest_address + size)
      throw Error(ErrorCode::kRegionOverlap,
                  format("hl_sandbox_map_region: [0x%llx, +0x%llx) overlaps %s at [0x%llx, "
                         "+0x%llx)",
                         ull(guest_address), ull(size), r.name.c_str(), ull(r.base), ull(r.size())));
  uint32_t slot = kFirstMappingSlot;
  for (const auto &[base, r] : by_address_) slot = std::max(slot, r.slot + 1);
  if (slot >= kFirstMappingSlot + kMaxMappingSlots)
    throw Error(ErrorCode::kTooLarge, format("hl_sandbox_map_region: at most %u regions", kMaxMappingSlots));

  const mem::PagePermissions permissions{true, false, (flags & MapFlag::kExecute) != 0};
  x86::PageTableEditor editor(page_tables_, layout_.page_tables, layout_.mapping_table_pool, mem::kMappingTablePages);
  // In the table before KVM maps it (inserting may throw), out again if that
  // fails: the caller's reference is then the last, dropped after its busy flag.
  auto it =
      by_address_.emplace(guest_address, MappedRegion{guest_address, slot, permissions, std::move(name), memory}).first;
  try {
    tracker_.note_page_tables_edited();  // the host writes them: KVM's dirty ring does not see it
    editor.map(guest_address, size, permissions);
    try {
      vm_.set_memory_slot(slot, guest_address, size, const_cast<void *>(host_address), KVM_MEM_READONLY);
    } catch (...) {
      editor.unmap(guest_address, size);
      throw;
    }
  } catch (...) {
    by_address_.erase(it);
    throw;
  }
  rebuild_fault_regions();
}

std::shared_ptr<const MappedMemory> MappedRegions::unmap(uint64_t guest_address) {
  auto it = by_address_.find(guest_address);
  if (it == by_address_.end())
    throw Error(ErrorCode::kRegionNotFound,
                format("hl_sandbox_unmap_region: no mapped region starts at 0x%llx", ull(guest_address)));
  MappedRegion &r = it->second;
  x86::PageTableEditor editor(page_tables_, layout_.page_tables, layout_.mapping_table_pool, mem::kMappingTablePages);
  tracker_.note_page_tables_edited();
  editor.unmap(r.base, r.size());
  vm_.set_memory_slot(r.slot, r.base, 0, nullptr, 0);  // size 0 deletes the slot
  std::shared_ptr<const MappedMemory> released = std::move(r.memory);
  by_address_.erase(it);
  rebuild_fault_regions();
  return released;
}

std::vector<MappedRegion> MappedRegions::regions() const {
  std::vector<MappedRegion> regions;
  for (const auto &[base, r] : by_address_) regions.push_back(r);
  return regions;
}

bool MappedRegions::matches(const Snapshot &snap) const {
  if (snap.mapped_regions.size() != by_address_.size()) return false;
  for (const MappedRegion &want : snap.mapped_regions) {
    auto it = by_address_.find(want.base);
    if (it == by_address_.end() || !(it->second == want)) return false;  // the same memory, not just the same address
  }
  return true;
}

void MappedRegions::replace_with(const Snapshot &snap) {
  // Every slot goes before the memory it maps.
  for (const auto &[base, r] : by_address_) vm_.set_memory_slot(r.slot, r.base, 0, nullptr, 0);
  by_address_.clear();
  for (const MappedRegion &want : snap.mapped_regions) {
    by_address_.emplace(want.base, want);  // in the table before KVM may map it
    vm_.set_memory_slot(want.slot, want.base, want.size(), const_cast<void *>(want.memory->address()),
                        KVM_MEM_READONLY);
  }
  rebuild_fault_regions();
}

std::vector<uint32_t> MappedRegions::slots() const {
  std::vector<uint32_t> slots;
  for (const auto &[base, r] : by_address_) slots.push_back(r.slot);
  return slots;
}

void MappedRegions::set_fixed_regions(std::vector<mem::Region> regions) {
  fixed_regions_ = std::move(regions);
  rebuild_fault_regions();
}

void MappedRegions::rebuild_fault_regions() {
  fault_regions_ = fixed_regions_;
  for (const auto &[base, r] : by_address_) fault_regions_.push_back({r.name, r.base, r.size(), r.permissions});
}

}  // namespace hl
