// A synthetic snapshot that the loader accepts, built without KVM: the
// snapshot-file unit tests and the fuzz seed maker share it.
#pragma once

#include <cstring>
#include <string>

#include "snapshot/snapshot.h"
#include "x86/cpu_state.h"

namespace hl::testing {

// sizes.image must be at least 64 KiB (the synthetic image's segments).
inline hl::Snapshot synthetic_snapshot(const hl::mem::LayoutSizes &sizes, uint32_t functions, bool with_memory) {
  hl::Snapshot s;
  s.layout = hl::mem::Layout::compute(sizes);
  const hl::mem::Layout &l = s.layout;
  for (const hl::mem::Region &r : l.regions())
    if (r.name != "image") s.fixed_regions.push_back(r);
  s.fixed_regions.push_back({"image code", l.image, 16 << 10, {true, false, true}});
  s.fixed_regions.push_back({"image data", l.image + (16 << 10), 48 << 10, {true, true, false}});
  s.vcpu = hl::boot_vcpu_state(l, hl::kCr4);
  s.vcpu.regs.rip = l.image + 0x100;
  s.guest.dispatch_address = l.image + 0x40;
  s.guest.functions_known = true;
  for (uint32_t i = 0; i < functions; i++)
    s.guest.functions["F" + std::to_string(i)] = {{hl::ValKind::kI32, hl::ValKind::kString}, hl::ValKind::kI64};
  s.host_functions["HostAdd"] = {{hl::ValKind::kI32, hl::ValKind::kI32}, hl::ValKind::kI32};
  s.counter = 7;
  s.memory = hl::SnapshotMemory::blank(l.memory_size);
  if (with_memory) {
    std::memset(s.memory.writable(l.image, 8192), 0x90, 8192);
    s.memory.add_extent({l.image, 8192});
    std::memset(s.memory.writable(l.heap, 4096), 0x5a, 4096);
    s.memory.add_extent({l.heap, 4096});
  }
  s.memory.seal();
  return s;
}

inline hl::Snapshot synthetic_snapshot(uint64_t heap, uint32_t functions, bool with_memory, uint64_t init_data = 0) {
  hl::mem::LayoutSizes sizes;
  sizes.init_data = init_data;
  sizes.image = 64 << 10;
  sizes.input_buffer = sizes.output_buffer = 4 << 10;
  sizes.heap = heap;
  sizes.stack = 16 << 10;
  return synthetic_snapshot(sizes, functions, with_memory);
}

}  // namespace hl::testing
