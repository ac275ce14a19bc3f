// A guest's .bss costs nothing until the guest touches it: loading writes
// only the ELF's file-backed bytes into the sandbox's fresh (all-zero)
// memory, so a tiny ELF declaring a huge .bss does not commit it. Internal
// API on real KVM (the C ABI does not show which pages hold data).
#include <elf.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "engine/engine.h"
#include "internal_values.h"
#include "sandbox/sandbox.h"

namespace {

using hl::testing::i32;
using hl::testing::i64;

constexpr uint64_t kMiB = 1ull << 20;

std::vector<uint8_t> read_file(const char *path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The test guest with `extra` more bytes of .bss at the end of its last
// writable PT_LOAD; *old_end receives where that segment used to end.
std::vector<uint8_t> with_bigger_bss(uint64_t extra, uint64_t *old_end) {
  std::vector<uint8_t> bytes = read_file(HL_SIMPLEGUEST_PATH);
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  size_t last_rw = 0;
  for (uint16_t i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    std::memcpy(&ph, &bytes[eh.e_phoff + i * sizeof ph], sizeof ph);
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_W)) last_rw = eh.e_phoff + i * sizeof ph;
  }
  EXPECT_NE(last_rw, 0u) << "the test guest has no writable PT_LOAD";
  Elf64_Phdr ph;
  std::memcpy(&ph, &bytes[last_rw], sizeof ph);
  *old_end = ph.p_vaddr + ph.p_memsz;
  ph.p_memsz += extra;
  std::memcpy(&bytes[last_rw], &ph, sizeof ph);
  return bytes;
}

uint64_t populated_bytes(const hl::Sandbox &sb) {
  uint64_t total = 0;
  for (const auto &e : sb.memory().populated_extents()) total += e.length;
  return total;
}

int64_t read_address(hl::Sandbox &sb, uint64_t address) {
  hl::Val args[] = {i64(static_cast<int64_t>(address))};
  hl::Val r{};
  sb.call("ReadAddress", args, 1, &r);
  return r.of.i64;
}

TEST(ElfLoad, HugeBssIsNotCommitted) {
  uint64_t old_end = 0;
  std::vector<uint8_t> elf = with_bigger_bss(200 * kMiB, &old_end);
  ASSERT_LT(elf.size(), 1 * kMiB);
  auto sb = hl::Engine::default_engine()->create_sandbox(hl::SandboxConfig{}, elf);
  const uint64_t image = sb->layout().image;
  ASSERT_GT(sb->layout().image_size, 200 * kMiB);

  // Page tables for 200 MiB more memory, the image's file bytes, the guest's
  // init: well under 16 MiB, against 200 MiB if the .bss were written.
  const uint64_t populated = populated_bytes(*sb);
  std::printf("200 MiB of .bss: %llu KiB of guest memory hold data after creation\n",
              static_cast<unsigned long long>(populated / 1024));
  EXPECT_LT(populated, 16 * kMiB) << populated / 1024 << " KiB of guest memory hold data after creation";

  // The guest runs, and its .bss reads as zero and takes writes.
  hl::Val add_args[] = {i32(40), i32(2)};
  hl::Val sum{};
  sb->call("Add", add_args, 2, &sum);
  EXPECT_EQ(sum.of.i32, 42);
  const uint64_t middle = (image + old_end + 100 * kMiB) & ~7ull;
  const uint64_t last = (image + old_end + 200 * kMiB - 8) & ~7ull;
  EXPECT_EQ(read_address(*sb, middle), 0);
  EXPECT_EQ(read_address(*sb, last), 0);
  hl::Val write_args[] = {i64(static_cast<int64_t>(middle))};
  sb->call("WriteAddress", write_args, 1, nullptr);
  EXPECT_EQ(read_address(*sb, middle), 0x5a5a);
  EXPECT_LT(populated_bytes(*sb), populated + 1 * kMiB) << "touching two pages committed more than a few";
}

}  // namespace
