// Host memory and files mapped into a running sandbox.
//
// Each region gets its own KVM memory slot (read-only to KVM) and page-table
// entries from the pool reserved in the page-table area. Regions are never
// writable by the guest: the host would have to treat every byte as racing
// with the guest (a time-of-check/time-of-use hazard for whatever reads it),
// and a read-only share covers the uses we know (models, data sets, code).
//
// The memory of each region is a MappedMemory shared with the snapshots that
// record the region (mapped_memory.h): unmapping drops this sandbox's
// reference, and the last reference gives the memory back.
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>

#include "common/error.h"
#include "common/regular_file.h"
#include "common/unique_fd.h"
#include "sandbox/busy_guard.h"
#include "sandbox/sandbox.h"
#include "x86/page_tables.h"

namespace hl {
namespace {

constexpr uint32_t kFirstMappingSlot = 3;  // 0-2 hold guest memory (boot.cpp)
constexpr uint32_t kMaxMappingSlots = 256;

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

bool aligned(uint64_t v) { return v % mem::kPageSize == 0; }

}  // namespace

void Sandbox::map_region(std::shared_ptr<const MappedMemory> memory, uint64_t guest_address, uint32_t flags) {
  add_mapping(std::move(memory), guest_address, flags, "mapped region");
}

uint64_t Sandbox::map_file_cow(const char *path, uint64_t guest_address) {
  struct stat st;
  UniqueFd fd = open_regular_file("hl_sandbox_map_file_cow", path, &st);
  if (st.st_size == 0) throw Error(HL_ERROR_INVALID_ARGUMENT, format("hl_sandbox_map_file_cow: '%s' is empty", path));
  const uint64_t size = mem::page_round_up(static_cast<uint64_t>(st.st_size));
  // Private and read-only: the guest sees the file, and nothing reaches it.
  void *view = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (view == MAP_FAILED)
    throw Error(HL_ERROR_IO, errno_message(format("hl_sandbox_map_file_cow: mmap('%s')", path).c_str(), errno));
  UniqueMapping owned(view, size);
  add_mapping(std::make_shared<const MappedMemory>(std::move(owned)), guest_address, HL_MAP_READ | HL_MAP_EXECUTE,
              format("mapped file '%s'", path));
  return size;
}

void Sandbox::add_mapping(std::shared_ptr<const MappedMemory> memory, uint64_t guest_address, uint32_t flags,
                          std::string name) {
  const void *host_address = memory->address();
  const uint64_t size = memory->size();
  BusyGuard busy(busy_);
  if (host_address == nullptr || size == 0)
    throw Error(HL_ERROR_INVALID_ARGUMENT, "hl_sandbox_map_region: host_address is NULL or size is 0");
  if ((flags & ~(HL_MAP_READ | HL_MAP_WRITE | HL_MAP_EXECUTE)) != 0 || (flags & HL_MAP_READ) == 0)
    throw Error(HL_ERROR_INVALID_ARGUMENT,
                format("hl_sandbox_map_region: flags 0x%x must include HL_MAP_READ and only known bits", flags));
  if (flags & HL_MAP_WRITE)
    throw Error(HL_ERROR_INVALID_ARGUMENT,
                "hl_sandbox_map_region: HL_MAP_WRITE is refused: shared writable memory would let the guest change "
                "data while the host reads it (see docs/memory.md)");
  if (!aligned(reinterpret_cast<uintptr_t>(host_address)) || !aligned(size) || !aligned(guest_address))
    throw Error(HL_ERROR_NOT_ALIGNED,
                format("hl_sandbox_map_region: host address %p, size 0x%llx and guest address 0x%llx must all be "
                       "multiples of 4 KiB",
                       host_address, ull(size), ull(guest_address)));
  if (guest_address < layout_.memory_size)
    throw Error(HL_ERROR_REGION_OVERLAP,
                format("hl_sandbox_map_region: guest address 0x%llx is inside the sandbox's own memory (which ends at "
                       "0x%llx)",
                       ull(guest_address), ull(layout_.memory_size)));
  if (guest_address > mem::kMappingLimit || size > mem::kMappingLimit - guest_address)
    throw Error(HL_ERROR_INVALID_ARGUMENT,
                format("hl_sandbox_map_region: [0x%llx, +0x%llx) reaches past the 512 GiB mapping limit",
                       ull(guest_address), ull(size)));
  for (const auto &[base, r] : mapped_)
    if (guest_address < r.base + r.size() && r.base < guest_address + size)
      throw Error(HL_ERROR_REGION_OVERLAP,
                  format("hl_sandbox_map_region: [0x%llx, +0x%llx) overlaps %s at [0x%llx, "
                         "+0x%llx)",
                         ull(guest_address), ull(size), r.name.c_str(), ull(r.base), ull(r.size())));
  uint32_t slot = kFirstMappingSlot;
  for (const auto &[base, r] : mapped_) slot = std::max(slot, r.slot + 1);
  if (slot >= kFirstMappingSlot + kMaxMappingSlots)
    throw Error(HL_ERROR_TOO_LARGE, format("hl_sandbox_map_region: at most %u regions", kMaxMappingSlots));

  const mem::PagePermissions permissions{true, false, (flags & HL_MAP_EXECUTE) != 0};
  x86::PageTableEditor editor(memory_.span(layout_.page_tables, layout_.page_tables_size), layout_.page_tables,
                              layout_.mapping_table_pool, mem::kMappingTablePages);
  // In the table before KVM maps it (inserting may throw), out again if that fails.
  auto it =
      mapped_.emplace(guest_address, MappedRegion{guest_address, slot, permissions, std::move(name), std::move(memory)})
          .first;
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
    memory = std::move(it->second.memory);  // released after the busy guard, as on unmap
    mapped_.erase(it);
    throw;
  }
  rebuild_fault_regions();
  reload_guest_mmu();
}

void Sandbox::unmap_region(uint64_t guest_address) {
  // This sandbox's reference, dropped once the sandbox is no longer busy:
  // if it is the last, the memory's finalizer runs then.
  std::shared_ptr<const MappedMemory> released;
  BusyGuard busy(busy_);
  auto it = mapped_.find(guest_address);
  if (it == mapped_.end())
    throw Error(HL_ERROR_REGION_NOT_FOUND,
                format("hl_sandbox_unmap_region: no mapped region starts at 0x%llx", ull(guest_address)));
  MappedRegion &r = it->second;
  x86::PageTableEditor editor(memory_.span(layout_.page_tables, layout_.page_tables_size), layout_.page_tables,
                              layout_.mapping_table_pool, mem::kMappingTablePages);
  tracker_.note_page_tables_edited();
  editor.unmap(r.base, r.size());
  vm_.set_memory_slot(r.slot, r.base, 0, nullptr, 0);  // size 0 deletes the slot
  released = std::move(r.memory);
  mapped_.erase(it);
  rebuild_fault_regions();
  reload_guest_mmu();
}

void Sandbox::rebuild_fault_regions() {
  regions_ = fixed_regions_;
  for (const auto &[base, r] : mapped_) regions_.push_back({r.name, r.base, r.size(), r.permissions});
}

// The host edited page tables behind the vCPU's back: writing the special
// registers (unchanged) makes KVM drop every cached translation.
void Sandbox::reload_guest_mmu() { vcpu_.set_sregs(vcpu_.get_sregs()); }

}  // namespace hl
