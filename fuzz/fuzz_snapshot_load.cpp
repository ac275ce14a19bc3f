// libFuzzer target: the input is a snapshot file (untrusted: anyone who can
// write the file chooses it).
//
// parse_snapshot either accepts it or throws hl::Error with
// HL_ERROR_SNAPSHOT_CORRUPT or HL_ERROR_SNAPSHOT_VERSION; nothing else. Each
// input is tried twice: as it is, and with its body length and checksum
// repaired, so mutations get past the checksum into the parser. An accepted
// snapshot must be one the host could have made: its vCPU's privileged state
// exactly the host's boot state, its guest's dispatch address inside the image, its
// memory extents inside guest memory, and serialising it again must give a
// file that parses.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "snapshot/snapshot_file.h"
#include "x86/cpu_state.h"

#define FUZZ_CHECK(cond)                                                                                 \
  do {                                                                                                   \
    if (!(cond)) {                                                                                       \
      std::fprintf(stderr, "fuzz_snapshot_load: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                                      \
    }                                                                                                    \
  } while (0)

namespace {

constexpr size_t kHeader = 32, kTrailer = 8;

void check(std::span<const uint8_t> file, bool again) {
  std::shared_ptr<const hl::Snapshot> snap;
  try {
    snap = hl::parse_snapshot(file, hl::kCr4);
  } catch (const hl::Error &e) {
    FUZZ_CHECK(e.code() == hl::ErrorCode::kSnapshotCorrupt || e.code() == hl::ErrorCode::kSnapshotVersion);
    return;
  }
  const hl::mem::Layout &l = snap->layout;
  const hl::kvm::VcpuState host = hl::boot_vcpu_state(l, hl::kCr4);
  const kvm_sregs &s = snap->vcpu.sregs;
  FUZZ_CHECK(s.cr0 == host.sregs.cr0 && s.cr3 == host.sregs.cr3 && s.cr4 == host.sregs.cr4 &&
             s.efer == host.sregs.efer);
  FUZZ_CHECK(std::memcmp(&s.cs, &host.sregs.cs, sizeof s.cs) == 0 &&
             std::memcmp(&s.ss, &host.sregs.ss, sizeof s.ss) == 0);
  FUZZ_CHECK(std::memcmp(&s.tr, &host.sregs.tr, sizeof s.tr) == 0 &&
             std::memcmp(&s.ldt, &host.sregs.ldt, sizeof s.ldt) == 0);
  FUZZ_CHECK(std::memcmp(&s.gdt, &host.sregs.gdt, sizeof s.gdt) == 0 &&
             std::memcmp(&s.idt, &host.sregs.idt, sizeof s.idt) == 0);
  FUZZ_CHECK(std::memcmp(snap->vcpu.msrs, host.msrs, sizeof host.msrs) == 0);
  FUZZ_CHECK(std::memcmp(&snap->vcpu.xcrs, &host.xcrs, sizeof host.xcrs) == 0);
  FUZZ_CHECK(std::memcmp(&snap->vcpu.debugregs, &host.debugregs, sizeof host.debugregs) == 0);
  FUZZ_CHECK((snap->vcpu.regs.rflags & 0x3200) == 0);  // neither IOPL nor IF
  FUZZ_CHECK(snap->guest.dispatch_address >= l.image && snap->guest.dispatch_address < l.image + l.image_size);
  FUZZ_CHECK(snap->memory.size() == l.memory_size);
  for (const auto &e : snap->memory.extents()) FUZZ_CHECK(e.offset + e.length <= l.memory_size);
  if (again) check(hl::serialize_snapshot(*snap), false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check({data, size}, true);
  if (size >= kHeader + kTrailer) {
    std::vector<uint8_t> repaired(data, data + size);
    uint64_t body = size - kHeader - kTrailer;
    std::memcpy(repaired.data() + 16, &body, 8);
    uint64_t sum = hl::hash_bytes(repaired.data(), size - kTrailer);
    std::memcpy(repaired.data() + size - kTrailer, &sum, 8);
    check(repaired, true);
  }
  return 0;
}
