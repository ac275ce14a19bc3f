// Snapshot files. Little-endian, in this order (docs/snapshots.md):
//
//   header   magic "HLSNAP\r\n", format version, guest ABI version,
//            body length, guest memory size
//   body     sections, each tagged: LAYT layout sizes, SEGS image segments,
//            VCPU the user part of the vCPU state, GUES guest interface, HOST host-function
//            signatures, CNTR guest counter, MEMX populated memory extents
//            with their bytes
//   trailer  64-bit checksum of header and body
//
// Loading treats the file as hostile: the header is checked against the
// file's size before the rest is read, every length is bounded, the layout
// must be one Layout::compute produces, the file carries only the vCPU state
// ring-3 code can change (user_cpu_state.h) and every privileged register
// is rebuilt, and so are the host-owned pages (page tables, GDT/TSS, IDT,
// exception stubs).
#include "snapshot/snapshot_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "abi/hl_abi.h"
#include "abi/hl_wire.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/regular_file.h"
#include "common/unique_fd.h"
#include "common/unique_mapping.h"
#include "protocol/values.h"
#include "snapshot/user_cpu_state.h"
#include "x86/cpu_state.h"

namespace hl {
namespace {

constexpr char kMagic[8] = {'H', 'L', 'S', 'N', 'A', 'P', '\r', '\n'};
// 2: the vCPU section holds only user state, field by field; the heap has
// its own guard page (so version 1 layouts differ).
constexpr uint32_t kFormatVersion = 2;
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8 + 8;
constexpr size_t kTrailerSize = 8;
constexpr uint32_t kMaxFunctions = 4096;

constexpr uint32_t tag(const char (&t)[5]) {
  return uint32_t(uint8_t(t[0])) | uint32_t(uint8_t(t[1])) << 8 | uint32_t(uint8_t(t[2])) << 16 |
         uint32_t(uint8_t(t[3])) << 24;
}

class Writer {
 public:
  void bytes(const void *p, size_t n) {
    const auto *b = static_cast<const uint8_t *>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { bytes(&v, 2); }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void str(const std::string &s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  // Starts a section; end_section() fills in its length.
  void begin_section(uint32_t t) {
    u32(t);
    section_at_ = out_.size();
    u64(0);
  }
  void end_section() {
    uint64_t len = out_.size() - section_at_ - 8;
    std::memcpy(out_.data() + section_at_, &len, 8);
  }
  std::vector<uint8_t> &buffer() { return out_; }

 private:
  std::vector<uint8_t> out_;
  size_t section_at_ = 0;
};

[[noreturn]] void corrupt(const std::string &why) {
  throw Error(ErrorCode::kSnapshotCorrupt, "snapshot file is corrupt: " + why);
}

class Reader {
 public:
  Reader(const uint8_t *p, size_t n) : p_(p), n_(n) {}
  const uint8_t *take(size_t len, const char *what) {
    if (len > n_ - pos_) corrupt(format("%s runs past the end of its section", what));
    const uint8_t *at = p_ + pos_;
    pos_ += len;
    return at;
  }
  uint8_t u8(const char *what) { return *take(1, what); }
  uint16_t u16(const char *what) {
    uint16_t v;
    std::memcpy(&v, take(2, what), 2);
    return v;
  }
  uint32_t u32(const char *what) {
    uint32_t v;
    std::memcpy(&v, take(4, what), 4);
    return v;
  }
  uint64_t u64(const char *what) {
    uint64_t v;
    std::memcpy(&v, take(8, what), 8);
    return v;
  }
  std::string str(size_t max, const char *what) {
    uint32_t len = u32(what);
    if (len == 0 || len > max) corrupt(format("%s has length %u", what, len));
    const uint8_t *p = take(len, what);
    return std::string(reinterpret_cast<const char *>(p), len);
  }
  // The next section, which must carry tag t.
  Reader section(uint32_t t, const char *name) {
    if (u32("section tag") != t) corrupt(format("expected the %s section", name));
    uint64_t len = u64("section length");
    if (len > n_ - pos_) corrupt(format("the %s section runs past the end of the file", name));
    return Reader(take(static_cast<size_t>(len), name), static_cast<size_t>(len));
  }
  void expect_end(const char *name) const {
    if (pos_ != n_) corrupt(format("the %s section has %zu unexpected bytes at its end", name, n_ - pos_));
  }
  bool at_end() const { return pos_ == n_; }

 private:
  const uint8_t *p_;
  size_t n_;
  size_t pos_ = 0;
};

void write_signature(Writer &w, const std::string &name, const FunctionSignature &sig) {
  w.str(name);
  w.u8(wire_kind(sig.result));
  w.u8(static_cast<uint8_t>(sig.params.size()));
  for (ValKind k : sig.params) w.u8(wire_kind(k));
}

std::pair<std::string, FunctionSignature> read_signature(Reader &r) {
  std::string name = r.str(HL_WIRE_MAX_NAME, "function name");
  FunctionSignature sig;
  const uint8_t result = r.u8("result kind");
  uint8_t n = r.u8("parameter count");
  if (!is_valid_kind(result) || n > HL_WIRE_MAX_ARGS)
    corrupt(format("function '%s' has an invalid signature", name.c_str()));
  sig.result = val_kind(result);
  for (uint8_t i = 0; i < n; i++) {
    const uint8_t k = r.u8("parameter kind");
    if (k == HL_WIRE_VOID || !is_valid_kind(k)) corrupt(format("function '%s' has an invalid parameter", name.c_str()));
    sig.params.push_back(val_kind(k));
  }
  return {std::move(name), std::move(sig)};
}

// The VCPU section: the user part of the vCPU state, in UserCpuState's
// field order, little-endian.
void write_user_cpu_state(Writer &w, const UserCpuState &u) {
  for (uint64_t g : u.gprs) w.u64(g);
  w.u64(u.rip);
  w.u64(u.rflags);
  for (uint16_t selector : {u.ds, u.es, u.fs, u.gs}) w.u16(selector);
  w.u64(u.fs_base);
  w.u64(u.gs_base);
  w.u16(u.fcw);
  w.u16(u.fsw);
  w.u8(u.ftw);
  w.u16(u.fop);
  w.u64(u.fip);
  w.u64(u.fdp);
  w.u32(u.mxcsr);
  w.bytes(u.st, sizeof u.st);
  w.bytes(u.xmm, sizeof u.xmm);
  w.u64(u.xstate_bv);
}

UserCpuState read_user_cpu_state(Reader r) {
  UserCpuState u;
  for (uint64_t &g : u.gprs) g = r.u64("general register");
  u.rip = r.u64("RIP");
  u.rflags = r.u64("RFLAGS");
  for (uint16_t *selector : {&u.ds, &u.es, &u.fs, &u.gs}) *selector = r.u16("segment selector");
  u.fs_base = r.u64("FS base");
  u.gs_base = r.u64("GS base");
  u.fcw = r.u16("x87 control word");
  u.fsw = r.u16("x87 status word");
  u.ftw = r.u8("x87 tag word");
  u.fop = r.u16("x87 opcode");
  u.fip = r.u64("x87 instruction pointer");
  u.fdp = r.u64("x87 data pointer");
  u.mxcsr = r.u32("MXCSR");
  std::memcpy(u.st, r.take(sizeof u.st, "x87 registers"), sizeof u.st);
  std::memcpy(u.xmm, r.take(sizeof u.xmm, "XMM registers"), sizeof u.xmm);
  u.xstate_bv = r.u64("XSTATE_BV");
  r.expect_end("vCPU state");
  return u;
}

uint8_t permission_bits(const mem::PagePermissions &p) {
  return static_cast<uint8_t>((p.user ? 1 : 0) | (p.writable ? 2 : 0) | (p.executable ? 4 : 0));
}

// The layout a file describes, accepted only if Layout::compute yields
// exactly it from its own sizes.
mem::Layout read_layout(Reader r) {
  mem::LayoutSizes s;
  s.image = r.u64("image size");
  s.image_alignment = r.u64("image alignment");
  s.input_buffer = r.u64("input buffer size");
  s.output_buffer = r.u64("output buffer size");
  s.heap = r.u64("heap size");
  s.stack = r.u64("stack size");
  s.exception_stack = r.u64("exception stack size");
  s.init_data = r.u64("init data size");
  uint8_t perms = r.u8("init data permissions");
  r.expect_end("layout");
  s.init_data_permissions = {(perms & 1) != 0, (perms & 2) != 0, (perms & 4) != 0};
  if (s.heap < mem::kMinHeap || s.heap > mem::kMaxHeap || s.stack < mem::kMinStack || s.stack > mem::kMaxStack ||
      s.input_buffer < mem::kMinBuffer || s.input_buffer > mem::kMaxBuffer || s.output_buffer < mem::kMinBuffer ||
      s.output_buffer > mem::kMaxBuffer || s.init_data > mem::kMaxInitData || s.image > mem::kMaxImage ||
      s.exception_stack != 2 * mem::kPageSize || perms > 7)
    corrupt("layout sizes are out of range");
  try {
    return mem::Layout::compute(s);
  } catch (const Error &e) {
    corrupt(std::string("layout: ") + e.what());
  }
}

// The largest guest memory a file can describe: the layout with every size
// at the largest read_layout accepts, about 2.3 GiB (the unit test
// SnapshotFile.LargestLayoutIsWithinTheHeaderBound keeps the two in step).
uint64_t largest_memory_size() {
  static const uint64_t size = [] {
    mem::LayoutSizes s;
    s.image = mem::kMaxImage;
    s.image_alignment = 2ull << 20;  // the most padding before the image
    s.input_buffer = s.output_buffer = mem::kMaxBuffer;
    s.heap = mem::kMaxHeap;
    s.stack = mem::kMaxStack;
    s.init_data = mem::kMaxInitData;
    return mem::Layout::compute(s).memory_size;
  }();
  return size;
}

// Every section but the memory bytes and their extent headers, each at its
// limits: section headers, layout, 64 segments, the vCPU, 4096 guest and
// 4096 host functions, the counter and the extent count (~2.4 MB). The
// allowance leaves room for sections to grow without touching the bound.
constexpr uint64_t kMaxSignature = 4 + HL_WIRE_MAX_NAME + 2 + HL_WIRE_MAX_ARGS;
constexpr uint64_t kMaxMetadata = 7 * 12 + 65 + (4 + 64 * (4 + 64 + 8 + 8 + 1)) + sizeof(UserCpuState) +
                                  (13 + kMaxFunctions * kMaxSignature) + (4 + kMaxFunctions * kMaxSignature) + 8 + 4;
constexpr uint64_t kMetadataAllowance = 16ull << 20;
static_assert(kMaxMetadata * 4 <= kMetadataAllowance);

// The longest body a snapshot of memory_size bytes of guest memory can
// have: all metadata, every page's bytes, and every page its own extent
// (16 bytes of offset and length).
uint64_t max_body_length(uint64_t memory_size) {
  return kMetadataAllowance + memory_size + 16 * (memory_size / mem::kPageSize);
}

struct SnapshotHeader {
  uint64_t body_length, memory_size;
};

// Judges a file by its fixed header, given its first bytes (up to
// kHeaderSize) and its size, before anything else of it is read: magic,
// format and ABI versions, a guest memory size some layout has, a body no
// longer than a snapshot of that memory can have, and a body length that
// matches the file. So a file of any size that is no snapshot, or claims
// more than one can hold, costs 32 bytes of reading.
SnapshotHeader check_snapshot_header(std::span<const uint8_t> start, uint64_t file_size) {
  if (start.size() < 8 || std::memcmp(start.data(), kMagic, 8) != 0)
    corrupt("it does not start with the snapshot magic");
  if (start.size() < kHeaderSize || file_size < kHeaderSize + kTrailerSize) corrupt("truncated inside the header");
  uint32_t version, abi;
  SnapshotHeader h;
  std::memcpy(&version, start.data() + 8, 4);
  std::memcpy(&abi, start.data() + 12, 4);
  std::memcpy(&h.body_length, start.data() + 16, 8);
  std::memcpy(&h.memory_size, start.data() + 24, 8);
  if (version != kFormatVersion)
    throw Error(ErrorCode::kSnapshotVersion,
                format("snapshot file format version %u; this library reads version %u", version, kFormatVersion));
  if (abi != HL_ABI_VERSION)
    throw Error(ErrorCode::kSnapshotVersion,
                format("snapshot of a guest built for ABI version %u; this library speaks %u", abi, HL_ABI_VERSION));
  if (h.memory_size == 0 || h.memory_size % mem::kPageSize != 0 || h.memory_size > largest_memory_size())
    corrupt(
        format("the header's guest memory size of %llu bytes is not one any layout has (page-aligned, at most "
               "%llu bytes)",
               static_cast<unsigned long long>(h.memory_size), static_cast<unsigned long long>(largest_memory_size())));
  if (h.body_length > max_body_length(h.memory_size))
    corrupt(
        format("the header promises %llu bytes of body, more than any snapshot of %llu bytes of guest memory "
               "can have (%llu)",
               static_cast<unsigned long long>(h.body_length), static_cast<unsigned long long>(h.memory_size),
               static_cast<unsigned long long>(max_body_length(h.memory_size))));
  const uint64_t file_body = file_size - kHeaderSize - kTrailerSize;
  if (h.body_length != file_body)
    corrupt(h.body_length > file_body
                ? format("truncated: the header promises %llu bytes of body, the file has %llu",
                         static_cast<unsigned long long>(h.body_length), static_cast<unsigned long long>(file_body))
                : std::string("the file is longer than its header says"));
  return h;
}

// Reads length bytes from the start of fd, which fstat said it has.
void read_exactly(int fd, uint8_t *dest, uint64_t length, const char *path) {
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, dest + done, length - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(ErrorCode::kIo, errno_message(format("hl_snapshot_load: read('%s')", path).c_str(), errno));
    if (n == 0) corrupt("the file shrank while it was being read");
    done += static_cast<uint64_t>(n);
  }
}

}  // namespace

std::vector<uint8_t> serialize_snapshot(const Snapshot &snap) {
  if (!snap.mapped_regions.empty())
    throw Error(ErrorCode::kInvalidArgument,
                "hl_snapshot_save: the snapshot holds mapped regions, which point at this process's memory; unmap "
                "them before taking a snapshot to save");
  const mem::Layout &l = snap.layout;
  Writer w;
  w.bytes(kMagic, 8);
  w.u32(kFormatVersion);
  w.u32(HL_ABI_VERSION);
  w.u64(0);  // body length, filled in below
  w.u64(l.memory_size);

  w.begin_section(tag("LAYT"));
  w.u64(l.image_size);
  // The image's alignment: the largest power of two (at most 2 MiB) its
  // address is a multiple of places it at the same address.
  w.u64(std::min<uint64_t>(l.image & (~l.image + 1), 2ull << 20));
  w.u64(l.input_buffer_size);
  w.u64(l.output_buffer_size);
  w.u64(l.heap_size);
  w.u64(l.stack_size);
  w.u64(l.exception_stack_top - l.exception_stack);
  w.u64(l.init_data_size);
  w.u8(permission_bits(l.init_data_permissions));
  w.end_section();

  w.begin_section(tag("SEGS"));
  std::vector<const mem::Region *> segments;
  for (const mem::Region &r : snap.fixed_regions)
    if (r.base >= l.image && r.base < l.image + l.image_size) segments.push_back(&r);
  w.u32(static_cast<uint32_t>(segments.size()));
  for (const mem::Region *r : segments) {
    w.str(std::string(r->name));
    w.u64(r->base);
    w.u64(r->size);
    w.u8(permission_bits(r->permissions));
  }
  w.end_section();

  w.begin_section(tag("VCPU"));
  write_user_cpu_state(w, user_cpu_state(snap.vcpu));
  w.end_section();

  w.begin_section(tag("GUES"));
  w.u64(snap.guest.dispatch_address);
  w.u8(static_cast<uint8_t>((snap.guest.functions_known ? 1 : 0) | (snap.guest.has_fallback ? 2 : 0)));
  w.u32(static_cast<uint32_t>(snap.guest.functions.size()));
  for (const auto &[name, sig] : snap.guest.functions) write_signature(w, name, sig);
  w.end_section();

  w.begin_section(tag("HOST"));
  w.u32(static_cast<uint32_t>(snap.host_functions.size()));
  for (const auto &[name, sig] : snap.host_functions) write_signature(w, name, sig);
  w.end_section();

  w.begin_section(tag("CNTR"));
  w.u64(snap.counter);
  w.end_section();

  w.begin_section(tag("MEMX"));
  w.u32(static_cast<uint32_t>(snap.memory.extents().size()));
  for (const auto &e : snap.memory.extents()) {
    w.u64(e.offset);
    w.u64(e.length);
    w.bytes(snap.memory.data() + e.offset, e.length);
  }
  w.end_section();

  std::vector<uint8_t> &out = w.buffer();
  uint64_t body = out.size() - kHeaderSize;
  std::memcpy(out.data() + 16, &body, 8);
  uint64_t sum = hash_bytes(out.data(), out.size());
  out.insert(out.end(), reinterpret_cast<uint8_t *>(&sum), reinterpret_cast<uint8_t *>(&sum) + 8);
  return std::move(out);
}

std::shared_ptr<const Snapshot> parse_snapshot(std::span<const uint8_t> file, uint64_t cr4) {
  const SnapshotHeader header = check_snapshot_header(file.first(std::min(file.size(), kHeaderSize)), file.size());
  const uint64_t body_len = header.body_length, memory_size = header.memory_size;
  uint64_t stored_sum;
  std::memcpy(&stored_sum, file.data() + file.size() - kTrailerSize, 8);
  if (hash_bytes(file.data(), file.size() - kTrailerSize) != stored_sum) corrupt("checksum mismatch");

  Reader body(file.data() + kHeaderSize, static_cast<size_t>(body_len));
  auto snap = std::make_shared<Snapshot>();
  snap->layout = read_layout(body.section(tag("LAYT"), "layout"));
  const mem::Layout &l = snap->layout;
  if (l.memory_size != memory_size) corrupt("the header's memory size does not match the layout");

  // Fixed regions: the layout's, with the image split into the file's segments.
  for (const mem::Region &r : l.regions())
    if (r.name != "image") snap->fixed_regions.push_back(r);
  {
    Reader r = body.section(tag("SEGS"), "image segments");
    uint32_t n = r.u32("segment count");
    if (n == 0 || n > 64) corrupt(format("%u image segments", n));
    for (uint32_t i = 0; i < n; i++) {
      std::string name = r.str(64, "segment name");
      std::string_view canonical = canonical_region_name(name);
      if (!canonical.starts_with("image ")) corrupt(format("unknown image segment name '%s'", name.c_str()));
      uint64_t base = r.u64("segment base"), size = r.u64("segment size");
      uint8_t perms = r.u8("segment permissions");
      if (base % mem::kPageSize != 0 || size % mem::kPageSize != 0 || size == 0 || base < l.image ||
          base > l.image + l.image_size || size > l.image + l.image_size - base || (perms & ~7) != 0)
        corrupt(format("image segment %u lies outside the image or is misaligned", i));
      if ((perms & 6) == 6) corrupt(format("image segment %u is both writable and executable", i));
      // Guest code runs in ring 3: its pages are user pages whatever the file says.
      snap->fixed_regions.push_back({canonical, base, size, {true, (perms & 2) != 0, (perms & 4) != 0}});
    }
    r.expect_end("image segments");
  }
  {
    UserCpuState user = read_user_cpu_state(body.section(tag("VCPU"), "vCPU state"));
    if (std::string why = check_user_cpu_state(user, l); !why.empty()) corrupt("vCPU state: " + why);
    snap->vcpu = vcpu_state_with(user, l, cr4);  // everything privileged is the host's
  }
  {
    Reader r = body.section(tag("GUES"), "guest interface");
    snap->guest.dispatch_address = r.u64("dispatch address");
    uint8_t flags = r.u8("guest flags");
    snap->guest.functions_known = (flags & 1) != 0;
    snap->guest.has_fallback = (flags & 2) != 0;
    uint32_t n = r.u32("guest function count");
    if (flags > 3 || n > kMaxFunctions) corrupt("the guest interface is malformed");
    if (snap->guest.dispatch_address < l.image || snap->guest.dispatch_address >= l.image + l.image_size)
      corrupt("the guest's dispatch address is outside its image");
    for (uint32_t i = 0; i < n; i++) snap->guest.functions.insert(read_signature(r));
    r.expect_end("guest interface");
  }
  {
    Reader r = body.section(tag("HOST"), "host functions");
    uint32_t n = r.u32("host function count");
    if (n > kMaxFunctions) corrupt("too many host functions");
    for (uint32_t i = 0; i < n; i++) snap->host_functions.insert(read_signature(r));
    r.expect_end("host functions");
  }
  {
    Reader r = body.section(tag("CNTR"), "counter");
    snap->counter = r.u64("counter");
    r.expect_end("counter");
  }
  snap->memory = SnapshotMemory::blank(l.memory_size);
  {
    Reader r = body.section(tag("MEMX"), "memory");
    uint32_t n = r.u32("extent count");
    uint64_t previous_end = 0;
    for (uint32_t i = 0; i < n; i++) {
      uint64_t offset = r.u64("extent offset"), length = r.u64("extent length");
      if (offset % mem::kPageSize != 0 || length % mem::kPageSize != 0 || length == 0 || offset < previous_end ||
          offset > l.memory_size || length > l.memory_size - offset)
        corrupt(format("memory extent %u is misaligned, out of order or outside guest memory", i));
      std::memcpy(snap->memory.writable(offset, length), r.take(static_cast<size_t>(length), "memory extent"), length);
      snap->memory.add_extent({offset, length});
      previous_end = offset + length;
    }
    r.expect_end("memory");
  }
  body.expect_end("file body");

  // The host's own pages come from the host, not the file (whose extents may
  // cover them: the tables are built on zeroed pages).
  std::memset(snap->memory.writable(l.page_tables, l.page_tables_size), 0, l.page_tables_size);
  write_host_owned_pages(snap->memory.writable(0, l.memory_size), l, snap->fixed_regions);
  std::vector<SnapshotMemory::Extent> extents = snap->memory.extents();
  extents.push_back({l.page_tables, l.page_tables_size});
  extents.push_back({l.gdt_tss, mem::kPageSize});
  extents.push_back({l.idt, mem::kPageSize});
  extents.push_back({l.exception_stub, mem::kPageSize});
  std::sort(extents.begin(), extents.end(), [](const auto &a, const auto &b) { return a.offset < b.offset; });
  std::vector<SnapshotMemory::Extent> merged;
  for (const auto &e : extents) {
    if (!merged.empty() && e.offset <= merged.back().offset + merged.back().length)
      merged.back().length = std::max(merged.back().length, e.offset + e.length - merged.back().offset);
    else
      merged.push_back(e);
  }
  snap->memory.set_extents(std::move(merged));
  snap->memory.seal();
  return snap;
}

void save_snapshot(const Snapshot &snap, const char *path) {
  std::vector<uint8_t> bytes = serialize_snapshot(snap);
  // Written next to the target and renamed over it: a reader never sees half a file.
  std::string tmp = std::string(path) + ".tmp-XXXXXX";
  int raw = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (raw < 0)
    throw Error(ErrorCode::kIo, errno_message(format("hl_snapshot_save: create '%s'", tmp.c_str()).c_str(), errno));
  UniqueFd fd(raw);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      throw Error(ErrorCode::kIo, errno_message(format("hl_snapshot_save: write '%s'", path).c_str(), err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) < 0 || ::rename(tmp.c_str(), path) < 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kIo, errno_message(format("hl_snapshot_save: '%s'", path).c_str(), err));
  }
}

std::shared_ptr<const Snapshot> load_snapshot(const char *path, uint64_t cr4) {
  struct stat st;
  UniqueFd fd = open_regular_file("hl_snapshot_load", path, &st);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  try {
    // The header first: whatever the file's size, one that is not a
    // snapshot, or claims more than a snapshot can hold, ends here.
    uint8_t start[kHeaderSize];
    const uint64_t start_size = std::min<uint64_t>(file_size, kHeaderSize);
    read_exactly(fd.get(), start, start_size, path);
    check_snapshot_header({start, start_size}, file_size);
    // Then the whole file, copied into memory of our own rather than
    // mapped: a file mapping (even MAP_PRIVATE) raises SIGBUS in this
    // process if whoever can write the file truncates it while it is parsed.
    void *addr = ::mmap(nullptr, file_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (addr == MAP_FAILED) {
      const std::string what =
          format("hl_snapshot_load: mmap(%llu bytes for '%s')", static_cast<unsigned long long>(file_size), path);
      throw Error(ErrorCode::kOutOfMemory, errno_message(what.c_str(), errno));
    }
    UniqueMapping bytes(addr, file_size);
    read_exactly(fd.get(), bytes.data(), file_size, path);
    return parse_snapshot({bytes.data(), file_size}, cr4);
  } catch (const Error &e) {
    if (e.code() != ErrorCode::kSnapshotCorrupt && e.code() != ErrorCode::kSnapshotVersion) throw;  // names the file
    throw Error(e.code(), format("%s: %s", path, e.what()));
  }
}

}  // namespace hl
