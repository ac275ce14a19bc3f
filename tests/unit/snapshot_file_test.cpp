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

constexpr hl::ErrorCode kNoError{};  // 0: the file parsed

// Serialises after letting `edit` change the snapshot, then repairs nothing:
// the checksum is computed over the edited content, so only the parser's
// own checks can refuse it.
template <typename F>
hl::ErrorCode parse_code(F &&edit) {
  hl::Snapshot s = synthetic_snapshot(64 << 10, 2, true);
  edit(s);
  try {
    hl::parse_snapshot(hl::serialize_snapshot(s), hl::kCr4);
    return kNoError;
  } catch (const hl::Error &e) {
    return e.code();
  }
}

TEST(SnapshotFile, RoundTripKeepsEverything) {
  hl::Snapshot s = synthetic_snapshot(1 << 20, 3, true);
  auto loaded = hl::parse_snapshot(hl::serialize_snapshot(s), hl::kCr4);
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
  EXPECT_EQ(parse_code([](hl::Snapshot &) {}), kNoError);
  // The user part of the vCPU, the only part a file carries, is checked.
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.regs.rflags |= 0x3000; }),
            hl::ErrorCode::kSnapshotCorrupt);  // IOPL 3
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.regs.rflags |= 0x200; }), hl::ErrorCode::kSnapshotCorrupt);  // IF
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.regs.rflags |= 1u << 17; }),
            hl::ErrorCode::kSnapshotCorrupt);  // VM
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.regs.rip = s.layout.heap; }), hl::ErrorCode::kSnapshotCorrupt);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.sregs.ds.selector = 0x7; }),
            hl::ErrorCode::kSnapshotCorrupt);  // LDT
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.sregs.gs.selector = 0x10; }), hl::ErrorCode::kSnapshotCorrupt);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.sregs.fs.base = 0x0000800000000000ull; }),
            hl::ErrorCode::kSnapshotCorrupt);  // not canonical
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.xsave.region[6] = 0x10000; }),
            hl::ErrorCode::kSnapshotCorrupt);                                                // MXCSR
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.vcpu.xsave.region[128] = 0x7; }), kNoError);  // XSTATE_BV: AVX dropped
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.guest.dispatch_address = s.layout.heap; }),
            hl::ErrorCode::kSnapshotCorrupt);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) { s.layout.heap_size = 1ull << 40; }), hl::ErrorCode::kSnapshotCorrupt);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) {
              s.fixed_regions.back().base = s.layout.image + s.layout.image_size - 4096;  // runs past the image
              s.fixed_regions.back().size = 8192;
            }),
            hl::ErrorCode::kSnapshotCorrupt);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) {
              s.memory.set_extents({{s.layout.heap, 8192}, {s.layout.heap + 4096, 4096}});  // overlapping
            }),
            hl::ErrorCode::kSnapshotCorrupt);
  EXPECT_EQ(parse_code([](hl::Snapshot &s) {
              s.host_functions["Bad"] = {{hl::ValKind::kVoid}, hl::ValKind::kI32};
            }),
            hl::ErrorCode::kSnapshotCorrupt);
}

// A file cannot choose privileged state: none of it is written, and the
// loader rebuilds all of it as the host sets it at boot. (Format version 1
// carried raw kernel structs, so forged MSRs, an LDT, a larger GDT limit or
// another XCR0 were loaded as they were.)
TEST(SnapshotFile, PrivilegedStateComesFromTheHostNotTheFile) {
  hl::Snapshot s = synthetic_snapshot(64 << 10, 1, false);
  const hl::kvm::VcpuState host = hl::boot_vcpu_state(s.layout, hl::kCr4);
  hl::kvm::VcpuState &v = s.vcpu;
  for (uint64_t &msr : v.msrs) msr = 0xffffffff81000000ull;  // SYSENTER_CS/ESP/EIP, STAR, LSTAR, ...
  v.sregs.ldt = v.sregs.cs;
  v.sregs.ldt.base = s.layout.heap;
  v.sregs.ldt.unusable = 0;
  v.sregs.gdt.limit = 0xffff;
  v.sregs.gdt.base = s.layout.heap;
  v.sregs.idt.base = s.layout.heap;
  v.sregs.tr.base = s.layout.heap;
  v.sregs.cs.dpl = 0;
  v.sregs.cs.selector = 0x08;
  v.sregs.ss.dpl = 0;
  v.sregs.cr0 &= ~1ull << 16;  // WP off
  v.sregs.cr3 = s.layout.heap;
  v.sregs.cr4 |= 1ull << 20;  // SMEP's bit, any change
  v.sregs.efer |= 1;          // SCE
  v.sregs.apic_base = 0xfec00900;
  v.xcrs.xcrs[0].value = 7;
  v.debugregs.db[0] = s.layout.image;
  v.debugregs.dr7 = 0x3;
  v.events.exception.injected = 1;
  v.events.exception.nr = 14;
  v.mp_state.mp_state = KVM_MP_STATE_HALTED;

  auto loaded = hl::parse_snapshot(hl::serialize_snapshot(s), hl::kCr4);
  const hl::kvm::VcpuState &got = loaded->vcpu;
  EXPECT_EQ(std::memcmp(&got.sregs, &host.sregs, sizeof host.sregs), 0) << "segment/control registers";
  EXPECT_EQ(std::memcmp(got.msrs, host.msrs, sizeof host.msrs), 0) << "MSRs";
  EXPECT_EQ(std::memcmp(&got.xcrs, &host.xcrs, sizeof host.xcrs), 0) << "XCR0";
  EXPECT_EQ(std::memcmp(&got.debugregs, &host.debugregs, sizeof host.debugregs), 0) << "debug registers";
  EXPECT_EQ(std::memcmp(&got.events, &host.events, sizeof host.events), 0) << "pending events";
  EXPECT_EQ(got.mp_state.mp_state, static_cast<uint32_t>(KVM_MP_STATE_RUNNABLE));
  EXPECT_EQ(got.sregs.ldt.unusable, 1u);
  // The user part does come from the file.
  EXPECT_EQ(got.regs.rip, s.vcpu.regs.rip);

  // The host's CR4 is the loader's choice (UMIP where KVM offers it).
  auto with_umip = hl::parse_snapshot(hl::serialize_snapshot(s), hl::host_cr4(true));
  EXPECT_EQ(with_umip->vcpu.sregs.cr4, hl::kCr4 | hl::kCr4Umip);
}

// The user part survives the round trip field by field.
TEST(SnapshotFile, UserStateRoundTrips) {
  hl::Snapshot s = synthetic_snapshot(64 << 10, 1, false);
  kvm_regs &r = s.vcpu.regs;
  r.rax = 1, r.rbx = 2, r.rcx = 3, r.rdx = 4, r.rsi = 5, r.rdi = 6, r.rsp = 7, r.rbp = 8;
  r.r8 = 9, r.r9 = 10, r.r10 = 11, r.r11 = 12, r.r12 = 13, r.r13 = 14, r.r14 = 15, r.r15 = 16;
  r.rflags = 0x2 | 0x1 | 0x40 | 0x400;  // CF, ZF, DF
  s.vcpu.sregs.ds = s.vcpu.sregs.es = hl::null_segment();
  s.vcpu.sregs.fs.base = 0x1234000;
  for (size_t i = 0; i < 128; i++) s.vcpu.xsave.region[i] = static_cast<uint32_t>(0x01010101u * i);
  s.vcpu.xsave.region[6] = 0x1f80 | 0x3f;                         // MXCSR with sticky flags
  s.vcpu.xsave.region[7] = 0;                                     // MXCSR_MASK is the CPU's, not state
  for (size_t i = 104; i < 128; i++) s.vcpu.xsave.region[i] = 0;  // bytes 416-511 are reserved
  auto *area = reinterpret_cast<uint8_t *>(s.vcpu.xsave.region);
  area[5] = 0;                                                             // reserved
  for (int i = 0; i < 8; i++) std::memset(area + 32 + 16 * i + 10, 0, 6);  // ST slots hold 10 bytes
  auto loaded = hl::parse_snapshot(hl::serialize_snapshot(s), hl::kCr4);
  EXPECT_EQ(std::memcmp(&loaded->vcpu.regs, &s.vcpu.regs, sizeof s.vcpu.regs), 0);
  EXPECT_EQ(std::memcmp(&loaded->vcpu.sregs, &s.vcpu.sregs, sizeof s.vcpu.sregs), 0);
  const auto *want = reinterpret_cast<const uint8_t *>(s.vcpu.xsave.region);
  const auto *got = reinterpret_cast<const uint8_t *>(loaded->vcpu.xsave.region);
  for (size_t i = 0; i < 512; i++) EXPECT_EQ(got[i], want[i]) << "FXSAVE byte " << i;
}

// W^X holds for sandboxes made from files too: no image segment and no
// init data may be both writable and executable.
TEST(SnapshotFile, WritableAndExecutablePagesAreRefused) {
  EXPECT_EQ(parse_code([](hl::Snapshot &s) {
              s.fixed_regions.back().permissions = {true, true, true};
            }),
            hl::ErrorCode::kSnapshotCorrupt);

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
      hl::parse_snapshot(copy, hl::kCr4);
      return hl::ErrorCode{0};
    } catch (const hl::Error &e) {
      return e.code();
    }
  };
  EXPECT_EQ(with_permissions(1 | 2), kNoError) << "writable";
  EXPECT_EQ(with_permissions(1 | 4), kNoError) << "executable";
  EXPECT_EQ(with_permissions(1 | 2 | 4), hl::ErrorCode::kSnapshotCorrupt) << "writable and executable";
}

// Every truncation of a good file is refused as corrupt, never a crash.
TEST(SnapshotFile, EveryTruncationIsCorrupt) {
  std::vector<uint8_t> good = hl::serialize_snapshot(synthetic_snapshot(64 << 10, 1, false));
  for (size_t len = 0; len < good.size(); len += (len < 256 ? 1 : 97)) {
    try {
      hl::parse_snapshot({good.data(), len}, hl::kCr4);
      FAIL() << "a file cut to " << len << " bytes was accepted";
    } catch (const hl::Error &e) {
      EXPECT_EQ(e.code(), hl::ErrorCode::kSnapshotCorrupt) << len << ": " << e.what();
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
std::pair<hl::ErrorCode, std::string> load_result(const char *path) {
  try {
    hl::load_snapshot(path, hl::kCr4);
    return {kNoError, ""};
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
    EXPECT_EQ(code, hl::ErrorCode::kSnapshotCorrupt) << c.what << ": " << message;
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
  EXPECT_EQ(code, hl::ErrorCode::kSnapshotCorrupt) << message;
  EXPECT_NE(message.find("more than any snapshot"), std::string::npos) << message;
  // Only the header is needed to tell: the same verdict for a 40-byte file.
  try {
    std::vector<uint8_t> small = header(body, real_memory_size());
    small.resize(kHeaderSize + 8);
    hl::parse_snapshot(small, hl::kCr4);
    FAIL() << "accepted";
  } catch (const hl::Error &e) {
    EXPECT_EQ(e.code(), hl::ErrorCode::kSnapshotCorrupt);
    EXPECT_NE(std::string(e.what()).find("more than any snapshot"), std::string::npos) << e.what();
  }
}

// The bound comes from the largest layout a file may describe; a snapshot
// of exactly that layout loads, and read_layout refuses anything larger
// (if its limits grow, the header bound must grow with them).
TEST(SnapshotFile, LargestLayoutIsWithinTheHeaderBound) {
  hl::mem::LayoutSizes largest;
  largest.image = hl::mem::kMaxImage;
  largest.image_alignment = 2ull << 20;
  largest.input_buffer = largest.output_buffer = hl::SandboxConfig::kMaxBuffer;
  largest.heap = hl::SandboxConfig::kMaxHeap;
  largest.stack = hl::SandboxConfig::kMaxStack;
  largest.init_data = hl::mem::kMaxInitData;
  auto loaded = hl::parse_snapshot(hl::serialize_snapshot(synthetic_snapshot(largest, 1, true)), hl::kCr4);
  EXPECT_EQ(loaded->layout.memory_size, hl::mem::Layout::compute(largest).memory_size);

  auto refused = [&](auto edit) {
    hl::mem::LayoutSizes sizes = largest;
    edit(sizes);
    try {
      hl::parse_snapshot(hl::serialize_snapshot(synthetic_snapshot(sizes, 1, false)), hl::kCr4);
      return false;
    } catch (const hl::Error &e) {
      return e.code() == hl::ErrorCode::kSnapshotCorrupt;
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
