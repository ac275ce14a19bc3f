#include "snapshot/snapshot_file.h"

#include "common/error.h"

namespace hl {

void save_snapshot(const Snapshot &, const char *) { throw Error(HL_ERROR_INTERNAL, "not yet"); }
std::shared_ptr<const Snapshot> load_snapshot(const char *) { throw Error(HL_ERROR_INTERNAL, "not yet"); }
std::shared_ptr<const Snapshot> parse_snapshot(std::span<const uint8_t>) { throw Error(HL_ERROR_INTERNAL, "not yet"); }

}  // namespace hl
