// Writes small synthetic snapshot files the loader accepts (fuzz_snapshot_load
// seeds, made at run time by scripts/sanitize-and-fuzz.sh): a real snapshot
// needs KVM and a guest, which the fuzz build has neither of.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "snapshot/snapshot_file.h"
#include "synthetic_snapshot.h"

namespace {

void write(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  write(dir + "/minimal.snap", hl::serialize_snapshot(hl::testing::synthetic_snapshot(64 << 10, 0, false)));
  write(dir + "/with-memory.snap", hl::serialize_snapshot(hl::testing::synthetic_snapshot(64 << 10, 3, true)));
  write(dir + "/bigger-heap.snap", hl::serialize_snapshot(hl::testing::synthetic_snapshot(1 << 20, 1, true)));
  return 0;
}
