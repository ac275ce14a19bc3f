#include "mem/layout.h"

#include "common/error.h"

namespace hl::mem {
namespace {

constexpr uint64_t kTwoMiB = 2ull << 20;
constexpr uint64_t kOneGiB = 1ull << 30;

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

// Adds size to cursor and returns the old cursor; the running total is
// bounded by kMaxMemorySize so nothing here can overflow.
uint64_t take(uint64_t &cursor, uint64_t size, const char *what) {
  if (size > kMaxMemorySize || cursor + size > kMaxMemorySize)
    throw Error(ErrorCode::kInvalidArgument, format("guest memory too large while placing %s (limit %llu bytes)", what,
                                                    static_cast<unsigned long long>(kMaxMemorySize)));
  uint64_t at = cursor;
  cursor += size;
  return at;
}

Layout place(const LayoutSizes &s, uint64_t table_pages) {
  Layout l;
  uint64_t c = kPageSize;  // page 0 stays unmapped
  l.page_tables_size = (table_pages + kMappingTablePages) * kPageSize;
  l.page_tables = take(c, l.page_tables_size, "page tables");
  l.mapping_table_pool = l.page_tables + table_pages * kPageSize;
  l.gdt_tss = take(c, kPageSize, "GDT");
  l.idt = take(c, kPageSize, "IDT");
  l.exception_stub = take(c, kPageSize, "exception stub");
  l.peb = take(c, kPageSize, "PEB");
  l.init_data_size = page_round_up(s.init_data);
  l.init_data = l.init_data_size != 0 ? take(c, l.init_data_size, "init data") : 0;
  l.init_data_permissions = s.init_data_permissions;
  c = align_up(c, s.image_alignment);
  l.image_size = page_round_up(s.image);
  l.image = take(c, l.image_size, "guest image");
  l.input_buffer_size = page_round_up(s.input_buffer);
  l.input_buffer = take(c, l.input_buffer_size, "input buffer");
  l.output_buffer_size = page_round_up(s.output_buffer);
  l.output_buffer = take(c, l.output_buffer_size, "output buffer");
  l.heap_size = page_round_up(s.heap);
  l.heap = take(c, l.heap_size, "heap");
  // Two guards between heap and stack, so a write past the heap and a stack
  // overflow are told apart (fault_report.cpp).
  l.heap_guard = take(c, kPageSize, "heap guard");
  l.stack_guard = take(c, kPageSize, "stack guard");
  l.stack_size = page_round_up(s.stack);
  l.stack = take(c, l.stack_size, "stack");
  l.stack_top = c;
  l.exception_guard = take(c, kPageSize, "exception stack guard");
  l.exception_stack = take(c, page_round_up(s.exception_stack), "exception stack");
  l.exception_stack_top = c;
  l.memory_size = c;
  return l;
}

}  // namespace

uint64_t page_table_pages_for(uint64_t memory_size) {
  uint64_t pts = (memory_size + kTwoMiB - 1) / kTwoMiB;
  uint64_t pds = (memory_size + kOneGiB - 1) / kOneGiB;
  return 1 /* PML4 */ + 1 /* PDPT */ + pds + pts;
}

Layout Layout::compute(const LayoutSizes &s) {
  if (s.image == 0) throw Error(ErrorCode::kInvalidArgument, "guest image is empty");
  if (s.image_alignment < kPageSize || (s.image_alignment & (s.image_alignment - 1)) != 0 ||
      s.image_alignment > kTwoMiB)
    throw Error(ErrorCode::kInvalidArgument,
                format("guest image alignment 0x%llx is not a power of two in [4 KiB, 2 MiB]",
                       static_cast<unsigned long long>(s.image_alignment)));
  if (s.input_buffer == 0 || s.output_buffer == 0 || s.stack == 0 || s.exception_stack == 0)
    throw Error(ErrorCode::kInvalidArgument, "buffer and stack sizes must be non-zero");
  // W^X holds for layouts from anywhere, snapshot files included.
  if (s.init_data_permissions.writable && s.init_data_permissions.executable)
    throw Error(ErrorCode::kInvalidArgument, "init data cannot be both writable and executable (W^X)");
  // The tables' size depends on the total, which depends on the tables:
  // grow until it is stable (two rounds in practice).
  uint64_t pages = 2;
  for (;;) {
    Layout l = place(s, pages);
    uint64_t needed = page_table_pages_for(l.memory_size);
    if (needed <= pages) return l;
    pages = needed;
  }
}

std::vector<Region> Layout::regions() const {
  std::vector<Region> out = fixed_regions();
  if (init_data_size != 0)
    out.insert(out.begin() + 5, Region{"init data", init_data, init_data_size, init_data_permissions});
  return out;
}

std::vector<Region> Layout::fixed_regions() const {
  const PagePermissions kernel_ro{false, false, false};
  const PagePermissions kernel_rx{false, false, true};
  const PagePermissions kernel_rw{false, true, false};
  const PagePermissions user_ro{true, false, false};
  const PagePermissions user_rw{true, true, false};
  return {
      {"page tables", page_tables, page_tables_size, kernel_ro},
      {"GDT/TSS", gdt_tss, kPageSize, kernel_ro},
      {"IDT", idt, kPageSize, kernel_ro},
      {"exception stub", exception_stub, kPageSize, kernel_rx},
      {"PEB", peb, kPageSize, user_ro},
      {"image", image, image_size, PagePermissions{}},
      {"input buffer", input_buffer, input_buffer_size, user_rw},
      {"output buffer", output_buffer, output_buffer_size, user_rw},
      {"heap", heap, heap_size, user_rw},
      {"stack", stack, stack_size, user_rw},
      {"exception stack", exception_stack, exception_stack_top - exception_stack, kernel_rw},
  };
}

}  // namespace hl::mem
