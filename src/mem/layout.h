// Where everything lives in guest memory (guest-physical == guest-virtual).
//
//   0                 null page            (never mapped: null derefs fault)
//   page_tables       PML4, PDPT, PDs, PTs (supervisor, read-only)
//   gdt_tss           GDT + TSS + I/O bitmap (supervisor, read-only)
//   idt               IDT                  (supervisor, read-only)
//   exception_stub    ring-0 stub code     (supervisor, read-only, executable)
//   peb               hl_peb               (user, read-only)
//   image             guest ELF            (user, per-segment permissions)
//   input_buffer      host -> guest        (user, read-write)
//   output_buffer     guest -> host        (user, read-write)
//   heap                                   (user, read-write)
//   heap_guard        one page             (never mapped: heap overruns fault)
//   stack_guard       one page             (never mapped: overflow faults)
//   stack             ... stack_top        (user, read-write)
//   exception_guard   one page             (never mapped)
//   exception_stack   ... exception_stack_top (supervisor, read-write; IST1)
//
// Nothing but the image is executable. docs/memory.md draws it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace hl::mem {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kMaxMemorySize = 64ull << 30;  // 64 GiB: far above any sane guest
// Spare page-table pages for regions mapped into a running sandbox
// (hl_sandbox_map_region): page directories and page tables come from here.
inline constexpr uint64_t kMappingTablePages = 16;
// Mapped regions must lie below this (one PML4 entry's reach).
inline constexpr uint64_t kMappingLimit = 512ull << 30;

// The sizes a sandbox may have (hl_config_set_*); snapshot files are held
// to the same bounds.
inline constexpr uint64_t kMinHeap = 64ull << 10, kMaxHeap = 1ull << 30;
inline constexpr uint64_t kMinStack = 16ull << 10, kMaxStack = 256ull << 20;
inline constexpr uint64_t kMinBuffer = 4ull << 10, kMaxBuffer = 256ull << 20;
inline constexpr uint64_t kMaxInitData = 256ull << 20;
// The span of an ELF's loadable segments (ElfImage::parse refuses more).
inline constexpr uint64_t kMaxImage = 256ull << 20;

constexpr uint64_t page_round_up(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

struct PagePermissions {
  bool user = false;
  bool writable = false;
  bool executable = false;
  bool operator==(const PagePermissions &) const = default;
};

struct Region {
  std::string_view name;
  uint64_t base = 0;
  uint64_t size = 0;
  PagePermissions permissions;
};

struct LayoutSizes {
  uint64_t image = 0;  // bytes spanned by the ELF's PT_LOAD segments
  uint64_t image_alignment = kPageSize;
  uint64_t input_buffer = 0;
  uint64_t output_buffer = 0;
  uint64_t heap = 0;
  uint64_t stack = 0;
  uint64_t exception_stack = 2 * kPageSize;
  uint64_t init_data = 0;  // bytes of the init-data blob (0: no region)
  PagePermissions init_data_permissions{true, false, false};
};

struct Layout {
  // Throws Error(HL_ERROR_INVALID_ARGUMENT) if the sizes cannot be laid out.
  static Layout compute(const LayoutSizes &sizes);

  // Mapped regions in address order. The image appears as one region with
  // no permissions: its pages get the ELF segments' permissions instead.
  std::vector<Region> regions() const;

 private:
  std::vector<Region> fixed_regions() const;

 public:
  uint64_t page_tables = 0, page_tables_size = 0;  // includes the mapping pool at its end
  uint64_t mapping_table_pool = 0;                 // first of kMappingTablePages pool pages
  uint64_t gdt_tss = 0, idt = 0, exception_stub = 0, peb = 0;
  uint64_t init_data = 0, init_data_size = 0;  // size page-rounded; 0 when there is no blob
  PagePermissions init_data_permissions;
  uint64_t image = 0, image_size = 0;
  uint64_t input_buffer = 0, input_buffer_size = 0;
  uint64_t output_buffer = 0, output_buffer_size = 0;
  uint64_t heap = 0, heap_size = 0, heap_guard = 0;
  uint64_t stack_guard = 0, stack = 0, stack_size = 0, stack_top = 0;
  uint64_t exception_guard = 0, exception_stack = 0, exception_stack_top = 0;
  uint64_t memory_size = 0;
};

// Page-table pages needed to identity-map memory_size bytes with 4 KiB pages.
uint64_t page_table_pages_for(uint64_t memory_size);

}  // namespace hl::mem
