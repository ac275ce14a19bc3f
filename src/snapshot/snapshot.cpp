#include "snapshot/snapshot.h"

#include "common/error.h"

namespace hl {

std::string_view canonical_region_name(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "page tables",  "GDT/TSS",       "IDT",        "exception stub", "PEB",
      "init data",    "image",         "image code", "image data",     "image read-only data",
      "input buffer", "output buffer", "heap",       "stack",          "exception stack"};
  for (std::string_view known : kNames)
    if (known == name) return known;
  return {};
}

std::string describe_layout_difference(const mem::Layout &snap, const mem::Layout &sb) {
  const struct {
    const char *what;
    uint64_t snap, sandbox;
  } fields[] = {
      {"image size", snap.image_size, sb.image_size},
      {"heap size", snap.heap_size, sb.heap_size},
      {"stack size", snap.stack_size, sb.stack_size},
      {"input buffer size", snap.input_buffer_size, sb.input_buffer_size},
      {"output buffer size", snap.output_buffer_size, sb.output_buffer_size},
      {"init data size", snap.init_data_size, sb.init_data_size},
      {"guest memory size", snap.memory_size, sb.memory_size},
      {"page-table area size", snap.page_tables_size, sb.page_tables_size},
      {"page tables", snap.page_tables, sb.page_tables},
      {"mapping table pool", snap.mapping_table_pool, sb.mapping_table_pool},
      {"GDT", snap.gdt_tss, sb.gdt_tss},
      {"IDT", snap.idt, sb.idt},
      {"exception stub", snap.exception_stub, sb.exception_stub},
      {"PEB", snap.peb, sb.peb},
      {"init data", snap.init_data, sb.init_data},
      {"image", snap.image, sb.image},
      {"input buffer", snap.input_buffer, sb.input_buffer},
      {"output buffer", snap.output_buffer, sb.output_buffer},
      {"heap", snap.heap, sb.heap},
      {"heap guard", snap.heap_guard, sb.heap_guard},
      {"stack guard", snap.stack_guard, sb.stack_guard},
      {"stack", snap.stack, sb.stack},
      {"stack top", snap.stack_top, sb.stack_top},
      {"exception stack guard", snap.exception_guard, sb.exception_guard},
      {"exception stack", snap.exception_stack, sb.exception_stack},
      {"exception stack top", snap.exception_stack_top, sb.exception_stack_top},
  };
  for (const auto &f : fields)
    if (f.snap != f.sandbox)
      return format("%s differs (snapshot 0x%llx, sandbox 0x%llx)", f.what, static_cast<unsigned long long>(f.snap),
                    static_cast<unsigned long long>(f.sandbox));
  if (!(snap.init_data_permissions == sb.init_data_permissions)) return "init data permissions differ";
  return {};
}

}  // namespace hl
