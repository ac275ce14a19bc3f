// Host memory and files mapped into a sandbox: visible, read-only, removable,
// with a specific error for every misuse, and given back (the finalizer of
// hl_sandbox_map_region, the unmapping of a file view) exactly once, when no
// sandbox maps it and no snapshot can map it again.
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "test_support.h"

namespace {

constexpr uint64_t kGuestAddress = 4ull << 30;  // far above any test sandbox's memory

// Page-aligned host memory filled with a pattern; unmapped at the end.
struct HostPages {
  explicit HostPages(size_t n) : size(n * 4096) {
    data = static_cast<uint8_t *>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    for (size_t i = 0; i < size; i += 8) {
      uint64_t v = 0xC0DE000000000000ull + i;
      std::memcpy(data + i, &v, 8);
    }
  }
  ~HostPages() { munmap(data, size); }
  uint8_t *data;
  size_t size;
};

struct SnapshotDeleter {
  void operator()(hl_snapshot_t *s) const { hl_snapshot_delete(s); }
};
using SnapshotPtr = std::unique_ptr<hl_snapshot_t, SnapshotDeleter>;

SnapshotPtr take_snapshot(hl_sandbox_t *sb) {
  hl_snapshot_t *snap = nullptr;
  ErrorPtr err(hl_sandbox_snapshot(sb, &snap));
  EXPECT_FALSE(err) << describe(err);
  return SnapshotPtr(snap);
}

SandboxPtr sandbox_from(const SnapshotPtr &snap) {
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new_from_snapshot(snap.get(), nullptr, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

// A region's finalizer: counts its runs and remembers its argument and thread.
struct Finalizer {
  std::atomic<int> runs{0};
  std::atomic<void *> user_data{nullptr};
  std::atomic<std::thread::id> thread{};
  static void run(void *user_data) {
    auto *self = static_cast<Finalizer *>(user_data);
    self->user_data = user_data;
    self->thread = std::this_thread::get_id();
    self->runs++;
  }
};

hl_error_t *map_with(hl_sandbox_t *sb, const HostPages &pages, uint64_t guest_address, Finalizer *fin) {
  return hl_sandbox_map_region(sb, pages.data, pages.size, guest_address, HL_MAP_READ, fin, Finalizer::run);
}

int64_t read_guest(hl_sandbox_t *sb, uint64_t address, ErrorPtr *error) {
  hl_val_t arg = i64(static_cast<int64_t>(address));
  Result r;
  error->reset(hl_call(sb, "ReadAddress", &arg, 1, &r.val));
  return r.val.of.i64;
}

TEST(MappedRegions, GuestReadsMappedHostMemory) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(2);
  ErrorPtr err(hl_sandbox_map_region(sb.get(), pages.data, pages.size, kGuestAddress, HL_MAP_READ, nullptr, nullptr));
  ASSERT_FALSE(err) << describe(err);
  ErrorPtr call_err;
  EXPECT_EQ(read_guest(sb.get(), kGuestAddress + 0x1008, &call_err), static_cast<int64_t>(0xC0DE000000001008ull));
  EXPECT_FALSE(call_err) << describe(call_err);
  // Host changes are visible (the memory is shared, not copied).
  uint64_t v = 42;
  std::memcpy(pages.data + 16, &v, 8);
  EXPECT_EQ(read_guest(sb.get(), kGuestAddress + 16, &call_err), 42);
}

TEST(MappedRegions, GuestWriteIsAnAccessViolationNamingTheRegion) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(1);
  ErrorPtr err(hl_sandbox_map_region(sb.get(), pages.data, pages.size, kGuestAddress, HL_MAP_READ, nullptr, nullptr));
  ASSERT_FALSE(err);
  hl_val_t arg = i64(static_cast<int64_t>(kGuestAddress + 0x20));
  std::string msg = expect_call_error(sb.get(), "WriteAddress", &arg, 1, HL_ERROR_MEMORY_ACCESS_VIOLATION);
  EXPECT_NE(msg.find("WRITE at 0x100000020, region 'mapped region' (flags R-- user)"), std::string::npos) << msg;
  uint64_t first;
  std::memcpy(&first, pages.data + 0x20, 8);
  EXPECT_EQ(first, 0xC0DE000000000020ull) << "the host memory is untouched";
}

TEST(MappedRegions, LargeAlignedRegionsUseBigPages) {
  SandboxPtr sb = new_sandbox();
  size_t size = 8ull << 20;
  void *mem = nullptr;
  ASSERT_EQ(posix_memalign(&mem, 2 << 20, size), 0);
  std::memset(mem, 0x11, size);
  ErrorPtr err(hl_sandbox_map_region(sb.get(), mem, size, 8ull << 30, HL_MAP_READ, nullptr, nullptr));
  ASSERT_FALSE(err) << describe(err);
  ErrorPtr call_err;
  EXPECT_EQ(read_guest(sb.get(), (8ull << 30) + size - 8, &call_err), 0x1111111111111111ll);
  EXPECT_FALSE(call_err) << describe(call_err);
  ErrorPtr un(hl_sandbox_unmap_region(sb.get(), 8ull << 30));
  EXPECT_FALSE(un);
  free(mem);
}

TEST(MappedRegions, UnmapThenAccessIsAViolation) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(1);
  ErrorPtr err(hl_sandbox_map_region(sb.get(), pages.data, pages.size, kGuestAddress, HL_MAP_READ, nullptr, nullptr));
  ASSERT_FALSE(err);
  ErrorPtr call_err;
  read_guest(sb.get(), kGuestAddress, &call_err);
  ASSERT_FALSE(call_err) << describe(call_err);  // cached translations exist now
  ErrorPtr un(hl_sandbox_unmap_region(sb.get(), kGuestAddress));
  ASSERT_FALSE(un) << describe(un);
  read_guest(sb.get(), kGuestAddress, &call_err);
  ASSERT_TRUE(call_err);
  EXPECT_EQ(hl_error_code(call_err.get()), HL_ERROR_MEMORY_ACCESS_VIOLATION) << describe(call_err);
  EXPECT_NE(std::string(hl_error_message(call_err.get())).find("READ at 0x100000000"), std::string::npos);
}

TEST(MappedRegions, MisuseGetsSpecificErrors) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(2);
  auto code_of = [&](const void *host, uint64_t size, uint64_t guest, uint32_t flags) {
    ErrorPtr e(hl_sandbox_map_region(sb.get(), host, size, guest, flags, nullptr, nullptr));
    return e ? hl_error_code(e.get()) : 0u;
  };
  EXPECT_EQ(code_of(pages.data + 1, 4096, kGuestAddress, HL_MAP_READ), HL_ERROR_NOT_ALIGNED);
  EXPECT_EQ(code_of(pages.data, 100, kGuestAddress, HL_MAP_READ), HL_ERROR_NOT_ALIGNED);
  EXPECT_EQ(code_of(pages.data, 4096, kGuestAddress + 1, HL_MAP_READ), HL_ERROR_NOT_ALIGNED);
  EXPECT_EQ(code_of(pages.data, 4096, 0x2000, HL_MAP_READ), HL_ERROR_REGION_OVERLAP) << "inside guest memory";
  EXPECT_EQ(code_of(pages.data, 4096, kGuestAddress, HL_MAP_READ | HL_MAP_WRITE), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(pages.data, 4096, kGuestAddress, HL_MAP_EXECUTE), HL_ERROR_INVALID_ARGUMENT) << "no READ";
  EXPECT_EQ(code_of(nullptr, 4096, kGuestAddress, HL_MAP_READ), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(pages.data, 0, kGuestAddress, HL_MAP_READ), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(pages.data, 4096, 1ull << 40, HL_MAP_READ), HL_ERROR_INVALID_ARGUMENT) << "past 512 GiB";
  ASSERT_EQ(code_of(pages.data, 8192, kGuestAddress, HL_MAP_READ), 0u);
  EXPECT_EQ(code_of(pages.data, 4096, kGuestAddress + 4096, HL_MAP_READ), HL_ERROR_REGION_OVERLAP);
  EXPECT_EQ(code_of(pages.data, 8192, kGuestAddress - 4096, HL_MAP_READ), HL_ERROR_REGION_OVERLAP);
  ErrorPtr un(hl_sandbox_unmap_region(sb.get(), kGuestAddress + 4096));
  ASSERT_TRUE(un);
  EXPECT_EQ(hl_error_code(un.get()), HL_ERROR_REGION_NOT_FOUND);
}

TEST(MappedRegions, FinalizerRunsOnceOnUnmap) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(1);
  Finalizer fin;
  ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &fin)));
  ErrorPtr call_err;
  EXPECT_EQ(read_guest(sb.get(), kGuestAddress, &call_err), static_cast<int64_t>(0xC0DE000000000000ull));
  EXPECT_EQ(fin.runs, 0) << "mapped: the memory is hyperlight's";
  ASSERT_FALSE(ErrorPtr(hl_sandbox_unmap_region(sb.get(), kGuestAddress)));
  EXPECT_EQ(fin.runs, 1);
  EXPECT_EQ(fin.thread.load(), std::this_thread::get_id()) << "on the thread that unmapped it";
  // The same memory mapped again is a new region, with its own finalizer run.
  Finalizer again;
  ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &again)));
  ASSERT_FALSE(ErrorPtr(hl_sandbox_unmap_region(sb.get(), kGuestAddress)));
  sb.reset();
  EXPECT_EQ(fin.runs, 1);
  EXPECT_EQ(again.runs, 1);
}

TEST(MappedRegions, FinalizerRunsOnceOnSandboxDelete) {
  HostPages pages(2);
  Finalizer fin, second;
  SandboxPtr sb = new_sandbox();
  ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &fin)));
  ASSERT_FALSE(ErrorPtr(hl_sandbox_map_region(sb.get(), pages.data + 4096, 4096, kGuestAddress + (1ull << 30),
                                              HL_MAP_READ, &second, Finalizer::run)));
  sb.reset();
  EXPECT_EQ(fin.runs, 1);
  EXPECT_EQ(second.runs, 1);
  // A sandbox made from a snapshot may be kept for reuse when deleted, but
  // not with regions mapped: it goes, and its regions with it.
  SandboxPtr origin = new_sandbox();
  SnapshotPtr snap = take_snapshot(origin.get());
  SandboxPtr made = sandbox_from(snap);
  Finalizer made_fin;
  ASSERT_FALSE(ErrorPtr(map_with(made.get(), pages, kGuestAddress, &made_fin)));
  made.reset();
  EXPECT_EQ(made_fin.runs, 1);
  EXPECT_EQ(fin.runs, 1);
}

TEST(MappedRegions, FinalizerRunsWhenARestoreDropsTheRegion) {
  SandboxPtr sb = new_sandbox();
  SnapshotPtr without = take_snapshot(sb.get());
  HostPages pages(1);
  Finalizer fin;
  ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &fin)));
  ASSERT_FALSE(ErrorPtr(hl_sandbox_restore(sb.get(), without.get())));
  EXPECT_EQ(fin.runs, 1) << "no snapshot records the region: nothing can map it again";
  ErrorPtr call_err;
  read_guest(sb.get(), kGuestAddress, &call_err);
  EXPECT_EQ(call_err ? hl_error_code(call_err.get()) : 0u, HL_ERROR_MEMORY_ACCESS_VIOLATION);
  // hl_call_and_restore too.
  Finalizer second;
  ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &second)));
  Result r;
  ASSERT_FALSE(ErrorPtr(hl_call_and_restore(sb.get(), without.get(), "ReadCounter", nullptr, 0, &r.val)));
  EXPECT_EQ(second.runs, 1);
  EXPECT_EQ(fin.runs, 1);
}

TEST(MappedRegions, SnapshotsHoldTheRegionUntilTheLastIsDeleted) {
  SandboxPtr sb = new_sandbox();
  SnapshotPtr without = take_snapshot(sb.get());
  HostPages pages(1);
  Finalizer fin;
  ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &fin)));
  SnapshotPtr first = take_snapshot(sb.get());
  SnapshotPtr second = take_snapshot(sb.get());
  ASSERT_FALSE(ErrorPtr(hl_sandbox_restore(sb.get(), without.get())));
  ASSERT_FALSE(ErrorPtr(hl_sandbox_restore(sb.get(), first.get())));  // maps it again
  ErrorPtr call_err;
  EXPECT_EQ(read_guest(sb.get(), kGuestAddress + 8, &call_err), static_cast<int64_t>(0xC0DE000000000008ull));
  EXPECT_FALSE(call_err) << describe(call_err);
  ASSERT_FALSE(ErrorPtr(hl_sandbox_unmap_region(sb.get(), kGuestAddress)));
  SandboxPtr made = sandbox_from(first);  // maps it as well
  EXPECT_EQ(read_guest(made.get(), kGuestAddress + 8, &call_err), static_cast<int64_t>(0xC0DE000000000008ull));
  made.reset();
  first.reset();
  EXPECT_EQ(fin.runs, 0) << "the second snapshot can still map it";
  // The last snapshot goes on another thread: the finalizer runs there.
  std::thread::id deleter;
  std::thread([&] {
    deleter = std::this_thread::get_id();
    second.reset();
  }).join();
  EXPECT_EQ(fin.runs, 1);
  EXPECT_EQ(fin.thread.load(), deleter);
  sb.reset();
  without.reset();
  EXPECT_EQ(fin.runs, 1);
}

TEST(MappedRegions, ASnapshotWithTheRegionKeepsItPastTheSandboxes) {
  HostPages pages(1);
  Finalizer fin;
  SnapshotPtr snap;
  {
    SandboxPtr sb = new_sandbox();
    ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &fin)));
    snap = take_snapshot(sb.get());
  }
  EXPECT_EQ(fin.runs, 0) << "the snapshot can map it again";
  SandboxPtr made = sandbox_from(snap);
  ErrorPtr call_err;
  EXPECT_EQ(read_guest(made.get(), kGuestAddress, &call_err), static_cast<int64_t>(0xC0DE000000000000ull));
  snap.reset();
  EXPECT_EQ(fin.runs, 0) << "still mapped by the sandbox made from it";
  made.reset();
  EXPECT_EQ(fin.runs, 1);
}

// A sandbox remembers the snapshot it last took or restored (its restore
// baseline) but does not keep it alive: the snapshot's regions are let go
// when its handle is deleted, not when the sandbox is.
TEST(MappedRegions, ASandboxDoesNotHoldItsBaselinesRegions) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(1);
  Finalizer fin;
  ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &fin)));
  SnapshotPtr snap = take_snapshot(sb.get());
  ASSERT_FALSE(ErrorPtr(hl_sandbox_unmap_region(sb.get(), kGuestAddress)));
  EXPECT_EQ(fin.runs, 0);
  snap.reset();
  EXPECT_EQ(fin.runs, 1) << "no snapshot left to map it, and the sandbox does not";
  // The sandbox works on, and restores onto a new snapshot as usual.
  SnapshotPtr next = take_snapshot(sb.get());
  Result r;
  EXPECT_FALSE(ErrorPtr(hl_call_and_restore(sb.get(), next.get(), "ReadCounter", nullptr, 0, &r.val)));
  sb.reset();
  EXPECT_EQ(fin.runs, 1);
}

// Ownership passes with the call: a map that fails has run the finalizer
// when it returns, whatever the reason.
TEST(MappedRegions, FinalizerRunsWhenTheMapFails) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(2);
  auto fails_and_finalizes = [&](hl_sandbox_t *target, const void *host, uint64_t size, uint64_t guest, uint32_t flags,
                                 hl_error_code_t code) {
    Finalizer fin;
    ErrorPtr err(hl_sandbox_map_region(target, host, size, guest, flags, &fin, Finalizer::run));
    EXPECT_EQ(err ? hl_error_code(err.get()) : 0u, code) << describe(err);
    EXPECT_EQ(fin.runs, 1) << describe(err);
    EXPECT_EQ(fin.user_data.load(), &fin);
  };
  fails_and_finalizes(nullptr, pages.data, 4096, kGuestAddress, HL_MAP_READ, HL_ERROR_INVALID_ARGUMENT);
  fails_and_finalizes(sb.get(), nullptr, 4096, kGuestAddress, HL_MAP_READ, HL_ERROR_INVALID_ARGUMENT);
  fails_and_finalizes(sb.get(), pages.data + 1, 4096, kGuestAddress, HL_MAP_READ, HL_ERROR_NOT_ALIGNED);
  fails_and_finalizes(sb.get(), pages.data, 4096, 0x2000, HL_MAP_READ, HL_ERROR_REGION_OVERLAP);
  fails_and_finalizes(sb.get(), pages.data, 4096, kGuestAddress, HL_MAP_READ | HL_MAP_WRITE, HL_ERROR_INVALID_ARGUMENT);
  Finalizer mapped;
  ASSERT_FALSE(ErrorPtr(map_with(sb.get(), pages, kGuestAddress, &mapped)));
  fails_and_finalizes(sb.get(), pages.data, 4096, kGuestAddress + 4096, HL_MAP_READ, HL_ERROR_REGION_OVERLAP);
  EXPECT_EQ(mapped.runs, 0) << "a refused overlap leaves the region it overlaps alone";
  // From a host function, during a call: HL_ERROR_BUSY.
  struct Busy {
    hl_sandbox_t *sb;
    const HostPages *pages;
    hl_error_code_t code = 0;
    int runs_on_return = -1;
  } busy{sb.get(), &pages};
  const hl_val_kind_t params[] = {HL_VAL_I32, HL_VAL_I32};
  ASSERT_FALSE(ErrorPtr(hl_register(
      sb.get(), "HostAdd", params, 2, HL_VAL_I32,
      [](void *user_data, const hl_val_t *args, size_t, hl_val_t *result) -> hl_error_t * {
        auto *b = static_cast<Busy *>(user_data);
        Finalizer fin;
        ErrorPtr err(map_with(b->sb, *b->pages, 8ull << 30, &fin));
        b->code = err ? hl_error_code(err.get()) : 0;
        b->runs_on_return = fin.runs;
        result->kind = HL_VAL_I32;
        result->of.i32 = args[0].of.i32 + args[1].of.i32;
        return nullptr;
      },
      &busy, nullptr)));
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ASSERT_FALSE(ErrorPtr(hl_call(sb.get(), "AddViaHost", args, 2, &r.val)));
  EXPECT_EQ(busy.code, HL_ERROR_BUSY);
  EXPECT_EQ(busy.runs_on_return, 1);
  sb.reset();
  EXPECT_EQ(mapped.runs, 1);
}

TEST(MappedRegions, UserDataIsPassedThrough) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(1);
  static std::atomic<void *> seen;
  seen = nullptr;
  int marker = 0;
  ASSERT_FALSE(ErrorPtr(hl_sandbox_map_region(sb.get(), pages.data, pages.size, kGuestAddress, HL_MAP_READ, &marker,
                                              [](void *user_data) { seen = user_data; })));
  EXPECT_EQ(seen.load(), nullptr);
  sb.reset();
  EXPECT_EQ(seen.load(), &marker);
}

TEST(MappedRegions, NullFinalizerIsAllowed) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(1);
  int marker = 0;
  ASSERT_FALSE(
      ErrorPtr(hl_sandbox_map_region(sb.get(), pages.data, pages.size, kGuestAddress, HL_MAP_READ, &marker, nullptr)));
  SnapshotPtr snap = take_snapshot(sb.get());
  ASSERT_FALSE(ErrorPtr(hl_sandbox_unmap_region(sb.get(), kGuestAddress)));
  ErrorPtr refused(
      hl_sandbox_map_region(sb.get(), pages.data + 1, pages.size, kGuestAddress, HL_MAP_READ, &marker, nullptr));
  EXPECT_EQ(refused ? hl_error_code(refused.get()) : 0u, HL_ERROR_NOT_ALIGNED);
  ASSERT_FALSE(ErrorPtr(hl_sandbox_restore(sb.get(), snap.get())));
  ErrorPtr call_err;
  EXPECT_EQ(read_guest(sb.get(), kGuestAddress, &call_err), static_cast<int64_t>(0xC0DE000000000000ull));
  snap.reset();
  sb.reset();
}

std::string temp_file(const std::string &content) {
  char path[] = "/tmp/hyperlight-map-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) {
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
  }
  return path;
}

std::string file_content(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(MappedRegions, FileCopyOnWriteIsReadableAndNeverModified) {
  std::string content(5000, 'A');
  content.replace(4096, 8, "HELLO!!!");
  std::string path = temp_file(content);
  SandboxPtr sb = new_sandbox();
  uint64_t size = 0;
  ErrorPtr err(hl_sandbox_map_file_cow(sb.get(), path.c_str(), kGuestAddress, &size));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(size, 8192u);
  ErrorPtr call_err;
  int64_t word = read_guest(sb.get(), kGuestAddress + 4096, &call_err);
  ASSERT_FALSE(call_err) << describe(call_err);
  EXPECT_EQ(std::memcmp(&word, "HELLO!!!", 8), 0);
  hl_val_t arg = i64(static_cast<int64_t>(kGuestAddress));
  std::string msg = expect_call_error(sb.get(), "WriteAddress", &arg, 1, HL_ERROR_MEMORY_ACCESS_VIOLATION);
  EXPECT_NE(msg.find("mapped file '" + path + "'"), std::string::npos) << msg;
  sb.reset();
  EXPECT_EQ(file_content(path), content);
  std::remove(path.c_str());
}

// Whether the process maps path (the library's copy-on-write view).
bool process_maps(const std::string &path) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);)
    if (line.size() >= path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0) return true;
  return false;
}

// A file view follows the same rule as a region: unmapped from the host
// when no sandbox maps it and no snapshot can map it again.
TEST(MappedRegions, FileViewLivesWhileASnapshotHoldsIt) {
  std::string content(4096, 'F');
  std::string path = temp_file(content);
  SandboxPtr sb = new_sandbox();
  ASSERT_FALSE(ErrorPtr(hl_sandbox_map_file_cow(sb.get(), path.c_str(), kGuestAddress, nullptr)));
  EXPECT_TRUE(process_maps(path));
  SnapshotPtr snap = take_snapshot(sb.get());
  ASSERT_FALSE(ErrorPtr(hl_sandbox_unmap_region(sb.get(), kGuestAddress)));
  EXPECT_TRUE(process_maps(path)) << "the snapshot maps it again on restore";
  ASSERT_FALSE(ErrorPtr(hl_sandbox_restore(sb.get(), snap.get())));
  ErrorPtr call_err;
  EXPECT_EQ(read_guest(sb.get(), kGuestAddress, &call_err), 0x4646464646464646ll);
  snap.reset();
  EXPECT_TRUE(process_maps(path)) << "the sandbox maps it";
  ASSERT_FALSE(ErrorPtr(hl_sandbox_unmap_region(sb.get(), kGuestAddress)));
  EXPECT_FALSE(process_maps(path));
  std::remove(path.c_str());
}

TEST(MappedRegions, FileErrors) {
  SandboxPtr sb = new_sandbox();
  std::string empty = temp_file("");
  ErrorPtr e1(hl_sandbox_map_file_cow(sb.get(), empty.c_str(), kGuestAddress, nullptr));
  ASSERT_TRUE(e1);
  EXPECT_EQ(hl_error_code(e1.get()), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hl_error_message(e1.get())).find("is empty"), std::string::npos);
  std::string full = temp_file("data");
  ErrorPtr e2(hl_sandbox_map_file_cow(sb.get(), full.c_str(), kGuestAddress + 12, nullptr));
  ASSERT_TRUE(e2);
  EXPECT_EQ(hl_error_code(e2.get()), HL_ERROR_NOT_ALIGNED);
  // Named after the function called, though the check is the one map_region makes too.
  EXPECT_EQ(std::string(hl_error_message(e2.get())).rfind("hl_sandbox_map_file_cow: ", 0), 0u)
      << hl_error_message(e2.get());
  ErrorPtr e3(hl_sandbox_map_file_cow(sb.get(), "/nonexistent/file", kGuestAddress, nullptr));
  ASSERT_TRUE(e3);
  EXPECT_EQ(hl_error_code(e3.get()), HL_ERROR_IO);
  ErrorPtr ok(hl_sandbox_map_file_cow(sb.get(), full.c_str(), kGuestAddress, nullptr));
  ASSERT_FALSE(ok) << describe(ok);
  ErrorPtr e4(hl_sandbox_map_file_cow(sb.get(), full.c_str(), kGuestAddress, nullptr));
  ASSERT_TRUE(e4);
  EXPECT_EQ(hl_error_code(e4.get()), HL_ERROR_REGION_OVERLAP);
  std::remove(empty.c_str());
  std::remove(full.c_str());
}

}  // namespace
