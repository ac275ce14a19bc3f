// libFuzzer target: the input is a guest ELF file (untrusted).
//
// ElfImage::parse either accepts it or throws hl::Error with
// HL_ERROR_INVALID_ELF; nothing else (no other exception, no crash). An
// accepted image must be self-consistent (size, alignment, entry and
// segments inside the image, no page both writable and executable) and must
// survive what Sandbox::create does with it next, minus KVM: load() into a
// buffer of exactly size() bytes, Layout::compute, and build_page_tables
// over the layout's regions plus the image's segments, after which the entry
// point's page is mapped for ring 3.
//
// A broken property aborts, which libFuzzer reports as a crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <span>
#include <vector>

#include "common/error.h"
#include "mem/elf_image.h"
#include "mem/layout.h"
#include "x86/page_tables.h"

#define FUZZ_CHECK(cond)                                                                             \
  do {                                                                                               \
    if (!(cond)) {                                                                                   \
      std::fprintf(stderr, "fuzz_elf_image: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                                  \
    }                                                                                                \
  } while (0)

namespace {

using hl::mem::ElfImage;
using hl::mem::kPageSize;

// Images up to 256 MiB parse; loading one here costs a zeroed buffer of its
// size (twice), so the fuzzer loads only images up to 8 MiB (the bounds
// logic does not depend on the size) and keeps its speed.
constexpr uint64_t kMaxLoadedImage = 8ull << 20;
// Fixed load address for load(): 2 MiB, aligned for any accepted alignment.
constexpr uint64_t kFixedBase = 2ull << 20;

[[noreturn]] void fail(const char *what, const char *message) {
  std::fprintf(stderr, "fuzz_elf_image: %s: %s\n", what, message);
  std::abort();
}

void check_image(const ElfImage &img) {
  FUZZ_CHECK(img.size() > 0 && img.size() % kPageSize == 0 && img.size() <= (256ull << 20));
  FUZZ_CHECK(img.alignment() >= kPageSize && img.alignment() <= (2ull << 20));
  FUZZ_CHECK((img.alignment() & (img.alignment() - 1)) == 0);
  FUZZ_CHECK(img.entry_offset() < img.size());
  bool entry_in_code = false;
  for (const hl::mem::ElfSegment &s : img.segments()) {
    FUZZ_CHECK(s.offset % kPageSize == 0 && s.size % kPageSize == 0 && s.size > 0);
    FUZZ_CHECK(s.offset < img.size() && s.size <= img.size() - s.offset);
    FUZZ_CHECK(s.permissions.user);
    if (s.permissions.executable && img.entry_offset() >= s.offset && img.entry_offset() - s.offset < s.size)
      entry_in_code = true;
  }
  FUZZ_CHECK(entry_in_code);
  if (img.size() > kMaxLoadedImage) return;
  // W^X, page by page: no page in a writable and in an executable segment.
  std::vector<uint8_t> access(img.size() / kPageSize);
  for (const hl::mem::ElfSegment &s : img.segments()) {
    FUZZ_CHECK(!(s.permissions.writable && s.permissions.executable));
    for (uint64_t p = s.offset / kPageSize; p < (s.offset + s.size) / kPageSize; p++)
      access[p] |= static_cast<uint8_t>((s.permissions.writable ? 1 : 0) | (s.permissions.executable ? 2 : 0));
  }
  for (uint8_t a : access) FUZZ_CHECK(a != 3);
}

// What Sandbox::create and Sandbox::boot do with the image before the VM runs.
void boot_steps(const ElfImage &img) {
  std::vector<uint8_t> at_fixed(img.size());
  img.load(at_fixed, kFixedBase);

  hl::mem::LayoutSizes sizes;  // the smallest SandboxConfig allows
  sizes.image = img.size();
  sizes.image_alignment = img.alignment();
  sizes.input_buffer = 4 * kPageSize;
  sizes.output_buffer = 4 * kPageSize;
  sizes.heap = 64ull << 10;
  sizes.stack = 16ull << 10;
  const hl::mem::Layout l = hl::mem::Layout::compute(sizes);
  FUZZ_CHECK(l.image % img.alignment() == 0 && l.image_size == img.size());

  std::vector<uint8_t> image(l.image_size);
  img.load(image, l.image);

  std::vector<hl::x86::PageMapping> mappings;
  for (const hl::mem::Region &r : l.regions())
    if (r.name != "image") mappings.push_back({r.base, r.size, r.permissions});
  for (const hl::mem::ElfSegment &s : img.segments()) mappings.push_back({l.image + s.offset, s.size, s.permissions});
  std::vector<uint8_t> tables(l.page_tables_size);
  hl::x86::build_page_tables(tables, l.page_tables, l.memory_size, mappings);

  std::optional<uint64_t> pte = hl::x86::walk_page_tables(tables, l.page_tables, l.image + img.entry_offset());
  FUZZ_CHECK(pte.has_value());
  FUZZ_CHECK((*pte & hl::x86::pte::kPresent) != 0 && (*pte & hl::x86::pte::kUser) != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::optional<ElfImage> img;
  try {
    img.emplace(ElfImage::parse(std::span<const uint8_t>(data, size)));
  } catch (const hl::Error &e) {
    if (e.code() != hl::ErrorCode::kInvalidElf)
      fail("parse threw hl::Error with a code other than INVALID_ELF", e.what());
    return 0;
  } catch (const std::exception &e) {
    fail("parse threw a non-hl::Error exception", e.what());
  }
  check_image(*img);
  if (img->size() > kMaxLoadedImage) return 0;
  try {
    boot_steps(*img);
  } catch (const std::exception &e) {
    fail("an accepted image failed to load or lay out", e.what());
  }
  return 0;
}
