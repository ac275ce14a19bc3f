// Snapshot files: a round trip keeps everything, and a file that is
// well-formed but describes state the host would never make is refused.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "common/error.h"
#include "common/hash.h"
#include "sandbox/config.h"
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

// A file of `size` bytes that holds `start` at its beginning and nothing
// else: the rest is a hole, which costs no disk and reads as zero.
class SparseFile {
 public:
  SparseFile(const std::vector<uint8_t> &start, uint64_t size)
      : path_(std::string(::testing::TempDir()) + "/hl-" + std::to_string(getpid()) + "-sparse.snap") {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0) << path_;
    EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0) << "a sparse file of " << size << " bytes";
    EXPECT_EQ(::pwrite(fd, start.data(), start.size(), 0), static_cast<ssize_t>(start.size()));
    ::close(fd);
  }
  ~SparseFile() { ::unlink(path_.c_str()); }
  const char *path() const { return path_.c_str(); }

 private:
  std::string path_;
};

// load_snapshot's error for the file, or 0 if it loaded.
std::pair<hl_error_code_t, std::string> load_result(const char *path) {
  try {
    hl::load_snapshot(path);
    return {0, ""};
  } catch (const hl::Error &e) {
    return {e.code(), e.what()};
  }
}

// Current and peak resident set size of this process, in KiB.
struct Rss {
  long current = -1, peak = -1;
};
Rss rss_kib() {
  Rss r;
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") status >> r.current;
    if (key == "VmHWM:") status >> r.peak;
    status.ignore(4096, '\n');
  }
  return r;
}
// Sets the peak to the current RSS (Linux >= 4.0), so a test sees its own peak.
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

constexpr uint64_t kGiB = 1ull << 30;
constexpr size_t kHeaderSize = 32;

// A real header (magic, versions, body length, memory size) with the body
// length and memory size replaced.
std::vector<uint8_t> header(uint64_t body_length, uint64_t memory_size) {
  std::vector<uint8_t> file = hl::serialize_snapshot(synthetic_snapshot(64 << 10, 1, false));
  std::vector<uint8_t> h(file.begin(), file.begin() + kHeaderSize);
  std::memcpy(h.data() + 16, &body_length, 8);
  std::memcpy(h.data() + 24, &memory_size, 8);
  return h;
}
uint64_t real_memory_size() { return synthetic_snapshot(64 << 10, 1, false).layout.memory_size; }

// A 3 GiB file, garbage or with a forged header, is refused from its first
// 32 bytes: loading it reads nothing more, so the process does not grow.
TEST(SnapshotFile, HugeBadFilesAreRefusedFromTheirHeaderWithoutRssGrowth) {
  const uint64_t size = 3 * kGiB;
  const uint64_t body = size - kHeaderSize - 8;  // what the file really has
  struct Case {
    const char *what;
    std::vector<uint8_t> start;
    uint64_t size;
    const char *message;
  };
  const Case cases[] = {
      {"garbage", std::vector<uint8_t>(4096, 0xAB), size, "snapshot magic"},
      {"body longer than the file", header(body + kGiB, real_memory_size()), size, "more than any snapshot"},
      {"body longer than a 1 GiB file", header(2 * kGiB, 2 * kGiB), 1 * kGiB, "truncated"},
      {"body shorter than the file", header(1 << 20, real_memory_size()), size, "longer than its header says"},
      {"body of the file's length, too large for its memory", header(body, real_memory_size()), size,
       "more than any snapshot"},
      {"memory larger than any layout", header(body, 3 * kGiB), size, "memory size"},
  };
  for (const Case &c : cases) {
    SparseFile file(c.start, c.size);
    reset_peak_rss();
    const Rss before = rss_kib();
    auto [code, message] = load_result(file.path());
    const Rss after = rss_kib();
    EXPECT_EQ(code, HL_ERROR_SNAPSHOT_CORRUPT) << c.what << ": " << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << c.what << ": " << message;
    EXPECT_NE(message.find(file.path()), std::string::npos) << c.what << ": " << message;
    EXPECT_LT(after.current - before.current, 4 * 1024)
        << c.what << ": RSS grew by " << after.current - before.current << " KiB";
    EXPECT_LT(after.peak - before.current, 4 * 1024)
        << c.what << ": peak RSS grew by " << after.peak - before.current << " KiB";
  }
}

// A header whose body length is far beyond what any snapshot can have is
// refused before the body is read, even when the file is that long.
TEST(SnapshotFile, BodyFarBeyondTheBoundIsRefusedBeforeReading) {
  const uint64_t body = 256 * kGiB;
  SparseFile file(header(body, real_memory_size()), kHeaderSize + body + 8);
  auto [code, message] = load_result(file.path());
  EXPECT_EQ(code, HL_ERROR_SNAPSHOT_CORRUPT) << message;
  EXPECT_NE(message.find("more than any snapshot"), std::string::npos) << message;
  // Only the header is needed to tell: the same verdict for a 40-byte file.
  try {
    std::vector<uint8_t> small = header(body, real_memory_size());
    small.resize(kHeaderSize + 8);
    hl::parse_snapshot(small);
    FAIL() << "accepted";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), HL_ERROR_SNAPSHOT_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("more than any snapshot"), std::string::npos) << e.what();
  }
}

// The bound comes from the largest layout a file may describe; a snapshot
// of exactly that layout loads, and read_layout refuses anything larger
// (if its limits grow, the header bound must grow with them).
TEST(SnapshotFile, LargestLayoutIsWithinTheHeaderBound) {
  hl::mem::LayoutSizes largest;
  largest.image = 512ull << 20;
  largest.image_alignment = 2ull << 20;
  largest.input_buffer = largest.output_buffer = hl::SandboxConfig::kMaxBuffer;
  largest.heap = hl::SandboxConfig::kMaxHeap;
  largest.stack = hl::SandboxConfig::kMaxStack;
  largest.init_data = 256ull << 20;
  auto loaded = hl::parse_snapshot(hl::serialize_snapshot(synthetic_snapshot(largest, 1, true)));
  EXPECT_EQ(loaded->layout.memory_size, hl::mem::Layout::compute(largest).memory_size);

  auto refused = [&](auto edit) {
    hl::mem::LayoutSizes sizes = largest;
    edit(sizes);
    try {
      hl::parse_snapshot(hl::serialize_snapshot(synthetic_snapshot(sizes, 1, false)));
      return false;
    } catch (const hl::Error &e) {
      return e.code() == HL_ERROR_SNAPSHOT_CORRUPT;
    }
  };
  EXPECT_TRUE(refused([](hl::mem::LayoutSizes &s) { s.image += 4096; }));
  EXPECT_TRUE(refused([](hl::mem::LayoutSizes &s) { s.input_buffer += 4096; }));
  EXPECT_TRUE(refused([](hl::mem::LayoutSizes &s) { s.output_buffer += 4096; }));
  EXPECT_TRUE(refused([](hl::mem::LayoutSizes &s) { s.heap += 4096; }));
  EXPECT_TRUE(refused([](hl::mem::LayoutSizes &s) { s.stack += 4096; }));
  EXPECT_TRUE(refused([](hl::mem::LayoutSizes &s) { s.init_data += 4096; }));
}

}  // namespace
