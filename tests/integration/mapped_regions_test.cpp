// Host memory and files mapped into a sandbox: visible, read-only, removable,
// with a specific error for every misuse.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

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

int64_t read_guest(hl_sandbox_t *sb, uint64_t address, ErrorPtr *error) {
  hl_val_t arg = i64(static_cast<int64_t>(address));
  Result r;
  error->reset(hl_call(sb, "ReadAddress", &arg, 1, &r.val));
  return r.val.of.i64;
}

TEST(MappedRegions, GuestReadsMappedHostMemory) {
  SandboxPtr sb = new_sandbox();
  HostPages pages(2);
  ErrorPtr err(hl_sandbox_map_region(sb.get(), pages.data, pages.size, kGuestAddress, HL_MAP_READ));
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
  ErrorPtr err(hl_sandbox_map_region(sb.get(), pages.data, pages.size, kGuestAddress, HL_MAP_READ));
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
  ErrorPtr err(hl_sandbox_map_region(sb.get(), mem, size, 8ull << 30, HL_MAP_READ));
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
  ErrorPtr err(hl_sandbox_map_region(sb.get(), pages.data, pages.size, kGuestAddress, HL_MAP_READ));
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
    ErrorPtr e(hl_sandbox_map_region(sb.get(), host, size, guest, flags));
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
