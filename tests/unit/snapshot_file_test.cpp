// Snapshot files: a round trip keeps everything, and a file that is
// well-formed but describes state the host would never make is refused.
#include <gtest/gtest.h>

#include <cstring>

#include "common/error.h"
#include "common/hash.h"
#include "snapshot/snapshot_file.h"
#include "synthetic_snapshot.h"

namespace {

using hl::testing::synthetic_snapshot;

// Serialises after letting `edit` change the snapshot, then repairs nothing:
// the checksum is computed over the edited content, so only the parser's
// own checks can refuse it.
template <typename F>
hl_error_code_t parse_code(F &&edit) {
  hl::Snapshot s = synthetic_snapshot(64 << 10, 2, true);
  edit(s);
  try {
    hl::parse_snapshot(hl::serialize_snapshot(s));
    return 0;
  } catch (const hl::Error &e) {
    return e.code();
  }
}

TEST(SnapshotFile, RoundTripKeepsEverything) {
  hl::Snapshot s = synthetic_snapshot(1 << 20, 3, true);
  auto loaded = hl::parse_snapshot(hl::serialize_snapshot(s));
  EXPECT_TRUE(hl::describe_layout_difference(s.layout, loaded->layout).empty());
  EXPECT_EQ(loaded->guest.functions, s.guest.functions);
  EXPECT_EQ(loaded->guest.dispatch_address, s.guest.dispatch_address);
  EXPECT_EQ(loaded->host_functions, s.host_functions);
  EXPECT_EQ(loaded->counter, 7u);
  EXPECT_EQ(std::memcmp(&loaded->vcpu, &s.vcpu, sizeof s.vcpu), 0);
  const hl::mem::Layout &l = s.layout;
  EXPECT_EQ(std::memcmp(loaded->memory.data() + l.heap, s.memory.data() + l.heap, 4096), 0);
  EXPECT_EQ(loaded->memory.data()[l.image], 0x90);
  // The host-owned pages were rebuilt: the page tables are populated.
  bool tables_present = false;
  for (const auto &e : loaded->memory.extents())
    tables_present |= e.offset <= l.page_tables && e.offset + e.length >= l.page_tables + l.page_tables_size;
  EXPECT_TRUE(tables_present);
  ASSERT_EQ(loaded->fixed_regions.size(), s.fixed_regions.size());
}

TEST(SnapshotFile, StateTheHostNeverMakesIsRefused) {
  EXPECT_EQ(parse_code([](hl::Snapshot &) {}), 0u);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.sregs.cs.dpl = 0; }), HL_ERROR_SNAPSHOT_CORRUPT);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.sregs.cr3 += 4096; }), HL_ERROR_SNAPSHOT_CORRUPT);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.regs.rflags |= 0x3000; }), HL_ERROR_SNAPSHOT_CORRUPT);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.mp_state.mp_state = KVM_MP_STATE_HALTED; }),
            HL_ERROR_SNAPSHOT_CORRUPT);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.guest.dispatch_address = s.layout.heap; }), HL_ERROR_SNAPSHOT_CORRUPT);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.layout.heap_size = 1ull << 40; }), HL_ERROR_SNAPSHOT_CORRUPT);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) {
              s.fixed_regions.back().base = s.layout.image + s.layout.image_size - 4096;  // runs past the image
              s.fixed_regions.back().size = 8192;
            }),
            HL_ERROR_SNAPSHOT_CORRUPT);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) {
              s.memory.set_extents({{s.layout.heap, 8192}, {s.layout.heap + 4096, 4096}});  // overlapping
            }),
            HL_ERROR_SNAPSHOT_CORRUPT);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) {
              s.host_functions["Bad"] = {{HL_VAL_VOID}, HL_VAL_I32};
            }),
            HL_ERROR_SNAPSHOT_CORRUPT);
}

// W^X holds for sandboxes made from files too: no image segment and no
// init data may be both writable and executable.
TEST(SnapshotFile, WritableAndExecutablePagesAreRefused) {
  EXPECT_EQ(parse_code([](hl::Snapshot &s) {
              s.fixed_regions.back().permissions = {true, true, true};
            }),
            HL_ERROR_SNAPSHOT_CORRUPT);

  // The init data's permissions are the last byte of the layout section:
  // header, section tag and length, eight u64 sizes.
  constexpr size_t kInitDataPermissions = 32 + 4 + 8 + 8 * 8;
  std::vector<uint8_t> file = hl::serialize_snapshot(synthetic_snapshot(64 << 10, 1, false, 4096));
  ASSERT_EQ(file[kInitDataPermissions], 1u) << "user, read-only";
  auto with_permissions = [&](uint8_t bits) {
    std::vector<uint8_t> copy = file;
    copy[kInitDataPermissions] = bits;
    uint64_t sum = hl::hash_bytes(copy.data(), copy.size() - 8);
    std::memcpy(copy.data() + copy.size() - 8, &sum, 8);
    try {
      hl::parse_snapshot(copy);
      return hl_error_code_t{0};
    } catch (const hl::Error &e) {
      return e.code();
    }
  };
  EXPECT_EQ(with_permissions(1 | 2), 0u) << "writable";
  EXPECT_EQ(with_permissions(1 | 4), 0u) << "executable";
  EXPECT_EQ(with_permissions(1 | 2 | 4), HL_ERROR_SNAPSHOT_CORRUPT) << "writable and executable";
}

// Every truncation of a good file is refused as corrupt, never a crash.
TEST(SnapshotFile, EveryTruncationIsCorrupt) {
  std::vector<uint8_t> good = hl::serialize_snapshot(synthetic_snapshot(64 << 10, 1, false));
  for (size_t len = 0; len < good.size(); len += (len < 256 ? 1 : 97)) {
    try {
      hl::parse_snapshot({good.data(), len});
      FAIL() << "a file cut to " << len << " bytes was accepted";
    } catch (const hl::Error &e) {
      EXPECT_EQ(e.code(), HL_ERROR_SNAPSHOT_CORRUPT) << len << ": " << e.what();
    }
  }
}

}  // namespace
