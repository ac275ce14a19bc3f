// Snapshot files: hl_snapshot_save / hl_snapshot_load. The format is in
// docs/snapshots.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "snapshot/snapshot.h"

namespace hl {

// Throws Error: IO, or INVALID_ARGUMENT if the snapshot holds mapped regions.
void save_snapshot(const Snapshot &snapshot, const char *path);
// Throws Error: IO, SNAPSHOT_CORRUPT, SNAPSHOT_VERSION. The vCPU's privileged
// state is the host's (boot_vcpu_state) with CR4 = cr4 (host_cr4).
std::shared_ptr<const Snapshot> load_snapshot(const char *path, uint64_t cr4);
// The file's bytes (the fuzz seed maker uses it directly).
std::vector<uint8_t> serialize_snapshot(const Snapshot &snapshot);
// The parser behind load_snapshot (the fuzz target calls it directly).
std::shared_ptr<const Snapshot> parse_snapshot(std::span<const uint8_t> file, uint64_t cr4);

}  // namespace hl
