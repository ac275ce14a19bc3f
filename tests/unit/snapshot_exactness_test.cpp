// Restores are exact against a guest that wrecks everything it can: after
// each restore the whole guest memory hashes to the snapshot's, and the
// vCPU's registers equal the snapshot's. These tests use the internal API
// (the C ABI does not expose memory hashes) on real KVM.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>
#include <vector>

#include "abi/hl_abi.h"
#include "common/error.h"
#include "common/hash.h"
#include "engine/engine.h"
#include "internal_values.h"
#include "sandbox/sandbox.h"
#include "snapshot/snapshot_file.h"
#include "x86/cpu_state.h"

namespace {

using hl::testing::i32;
using hl::testing::u64;

std::vector<uint8_t> read_file(const char *path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Guest memory's hash, but for the PEB's x87/SSE request to the guest's next
// call entry (abi/hl_abi.h, fpu_restore): set by a restore, cleared (zero)
// at the call's first exit. It is the host's message, not guest state; the
// FpuRequest test checks it separately.
uint64_t hash_without_fpu_request(const uint8_t *memory, uint64_t size, uint64_t peb) {
  std::vector<uint8_t> copy(memory, memory + size);
  std::memset(copy.data() + peb + offsetof(hl_peb, fpu_restore), 0,
              offsetof(hl_peb, fpu_image) + sizeof(hl_peb::fpu_image) - offsetof(hl_peb, fpu_restore));
  return hl::hash_bytes(copy.data(), copy.size());
}
uint64_t memory_hash(const hl::Sandbox &sb) {
  return hash_without_fpu_request(sb.memory().host_base(), sb.memory().size(), sb.layout().peb);
}
uint64_t memory_hash(const hl::Snapshot &snap) {
  return hash_without_fpu_request(snap.memory.data(), snap.memory.size(), snap.layout.peb);
}

const hl_peb &peb_of(const hl::Sandbox &sb) {
  return *reinterpret_cast<const hl_peb *>(sb.memory().span(sb.layout().peb, sizeof(hl_peb)).data());
}

// Everything restore promises about the vCPU, compared field by field so a
// failure names the part.
void expect_same_vcpu(const hl::kvm::VcpuState &want, const hl::kvm::VcpuState &have) {
  EXPECT_EQ(std::memcmp(&want.regs, &have.regs, sizeof want.regs), 0) << "general registers";
  EXPECT_EQ(std::memcmp(&want.sregs, &have.sregs, sizeof want.sregs), 0) << "segment/control registers";
  // The legacy XSAVE area's state: not MXCSR_MASK (bytes 28-31, the CPU's
  // constant) nor bytes 416-511 (reserved), which a snapshot file omits.
  EXPECT_EQ(std::memcmp(&want.xsave, &have.xsave, 28), 0) << "x87 state and MXCSR (legacy XSAVE area)";
  EXPECT_EQ(std::memcmp(&want.xsave.region[8], &have.xsave.region[8], 416 - 32), 0)
      << "x87/SSE registers (legacy XSAVE area)";
  EXPECT_EQ(std::memcmp(&want.debugregs, &have.debugregs, sizeof want.debugregs), 0) << "debug registers";
  EXPECT_EQ(std::memcmp(want.msrs, have.msrs, sizeof want.msrs), 0) << "MSRs";
  EXPECT_EQ(want.mp_state.mp_state, have.mp_state.mp_state) << "MP state";
}

int64_t count_calls(hl::Sandbox &sb) {
  hl::Val r{};
  sb.call("CountCalls", nullptr, 0, &r);
  return r.of.i64;
}

class SnapshotExactness : public ::testing::Test {
 protected:
  std::unique_ptr<hl::Sandbox> make(uint64_t heap = 4ull << 20) {
    hl::SandboxConfig config;
    config.set_heap_size(heap);
    return engine_->create_sandbox(config, elf_);
  }
  std::vector<uint8_t> elf_ = read_file(HL_SCRIBBLEGUEST_PATH);
  std::shared_ptr<hl::Engine> engine_ = hl::Engine::default_engine();
};

// Scribbles in one of four ways (return, fault, abort, spin until the time
// limit), then restores; 100 rounds, each checked in full.
void run_rounds(hl::Sandbox &sb, const std::shared_ptr<const hl::Snapshot> &snap, int rounds) {
  const uint64_t want_hash = memory_hash(*snap);
  std::mt19937_64 rng(1234);
  for (int round = 0; round < rounds; round++) {
    const int32_t how = static_cast<int32_t>(rng() % 4);
    hl::Val args[] = {u64(rng()), i32(how)};
    try {
      hl::Sandbox::CallSettings settings;
      settings.timeout_ns = how == 3 ? 20'000'000 : 0;
      sb.call("Scribble", args, 2, nullptr, settings);
      EXPECT_EQ(how, 0) << "round " << round << ": the scribble that should fail returned";
    } catch (const hl::Error &e) {
      // Returning can fail too (the guest wrecked its own function table),
      // but only the other ways poison the sandbox.
      EXPECT_EQ(sb.poisoned(), how != 0) << "round " << round << ": " << e.what();
    }
    ASSERT_NE(memory_hash(sb), want_hash) << "round " << round << ": the guest changed nothing";
    sb.restore(snap);
    EXPECT_FALSE(sb.poisoned());
    ASSERT_EQ(memory_hash(sb), want_hash) << "round " << round << " (how " << how << ")";
    if (how != 0) expect_same_vcpu(snap->vcpu, sb.vcpu_state());  // a full restore: compare everything
  }
}

TEST_F(SnapshotExactness, HundredRoundsOfAMaliciousGuest) {
  auto sb = make();
  int64_t before = count_calls(*sb);
  auto snap = sb->snapshot();
  EXPECT_EQ(memory_hash(*sb), memory_hash(*snap));
  expect_same_vcpu(snap->vcpu, sb->vcpu_state());
  run_rounds(*sb, snap, 100);
  EXPECT_EQ(count_calls(*sb), before + 1);  // the guest's own state came back too
}

// 32 MiB of heap is 8192 pages: more than the dirty ring holds, so the
// guest's scribbling makes KVM stop it with ring-full exits on the way.
TEST_F(SnapshotExactness, ExactWhenTheDirtyRingFillsUp) {
  auto sb = make(32ull << 20);
  auto snap = sb->snapshot();
  run_rounds(*sb, snap, 6);
}

// The fast path writes only the registers CPL3 code can change; the next
// call must still see the snapshot's FPU/SSE state, not the last request's.
TEST_F(SnapshotExactness, RestoredFpuStateIsVisibleToTheGuest) {
  auto sb = make();
  auto snap = sb->snapshot();
  hl::Val xmm{}, mxcsr{};
  sb->call("ReadMxcsr", nullptr, 0, &mxcsr);
  sb->restore(snap);
  hl::Val secret = u64(0x5ec7e75ec7e7ull);
  sb->call("SetXmm0", &secret, 1, nullptr);
  hl::Val changed{};
  sb->call("ReadMxcsr", nullptr, 0, &changed);
  ASSERT_NE(changed.of.u32, mxcsr.of.u32) << "SetXmm0 did not change MXCSR: the test proves nothing";
  sb->restore(snap);
  hl::Val after{};
  sb->call("ReadMxcsr", nullptr, 0, &after);
  EXPECT_EQ(after.of.u32, mxcsr.of.u32);
  sb->call("ReadXmm0", nullptr, 0, &xmm);
  EXPECT_NE(xmm.of.u64, secret.of.u64);
}

// The host's own writes are not in KVM's dirty ring: a call refused after
// its message was partly written (unknown function, too large) still
// changed guest memory, and restore must undo it.
TEST_F(SnapshotExactness, HostWritesThatFailHalfWayAreUndone) {
  auto sb = make();
  auto snap = sb->snapshot();
  std::vector<uint8_t> big(1 << 20, 0xab);
  hl::Val args[] = {i32(1), hl::Val{}};
  args[1].kind = hl::ValKind::kBytes;
  args[1].of.bytes.ptr = big.data();
  args[1].of.bytes.len = big.size();
  try {
    sb->call("SomeFunctionNameTheSnapshotNeverSaw", args, 2, nullptr);
    FAIL() << "the call fit";
  } catch (const hl::Error &) {
  }
  ASSERT_NE(memory_hash(*sb), memory_hash(*snap)) << "the failed call wrote nothing: the test proves nothing";
  sb->restore(snap);
  EXPECT_EQ(memory_hash(*sb), memory_hash(*snap));
}

// After a restore the guest's call entry, not an ioctl, loads the snapshot's
// x87/SSE state: the request is in the PEB until the next call's first exit,
// and then gone (the PEB is the snapshot's again), with the guest having
// started from the snapshot's XMM0 and MXCSR.
TEST_F(SnapshotExactness, FpuRequestIsLoadedByTheGuestAndThenCleared) {
  auto sb = make();
  hl::Val r{};
  sb->call("ReadXmm0", nullptr, 0, &r);  // the snapshot's, whatever it is
  auto snap = sb->snapshot();
  const uint64_t snapshot_xmm0 = r.of.u64;
  hl::Val marker[] = {u64(0x1234567890abcdefull)};
  sb->call("SetXmm0", marker, 1, nullptr);
  sb->call("ReadXmm0", nullptr, 0, &r);
  ASSERT_EQ(r.of.u64, 0x1234567890abcdefull) << "XMM0 survives between calls";
  sb->restore(snap);
  EXPECT_EQ(peb_of(*sb).fpu_restore, 1u) << "a restore leaves the state for the guest";
  sb->call("ReadXmm0", nullptr, 0, &r);
  EXPECT_EQ(r.of.u64, snapshot_xmm0) << "the guest started from the snapshot's XMM0";
  EXPECT_EQ(peb_of(*sb).fpu_restore, 0u);
  const uint8_t *image = peb_of(*sb).fpu_image;
  EXPECT_TRUE(std::all_of(image, image + sizeof(hl_peb::fpu_image), [](uint8_t b) { return b == 0; }));
  sb->call("SetXmm0", marker, 1, nullptr);
  sb->call("ReadMxcsr", nullptr, 0, &r);
  EXPECT_EQ(r.of.u32, 0x7f80u) << "without a restore the state is left alone";
  sb->restore(snap);
  sb->call("ReadMxcsr", nullptr, 0, &r);
  EXPECT_EQ(r.of.u32, snap->vcpu.xsave.region[6]) << "MXCSR (legacy area byte 24) is the snapshot's";
}

TEST_F(SnapshotExactness, RestoreOntoAnotherSandbox) {
  auto a = make();
  count_calls(*a);
  count_calls(*a);
  auto snap = a->snapshot();
  auto b = make();
  b->restore(snap);
  EXPECT_EQ(memory_hash(*b), memory_hash(*snap));
  expect_same_vcpu(snap->vcpu, b->vcpu_state());
  EXPECT_EQ(count_calls(*b), 3);
  run_rounds(*b, snap, 10);
}

// A sandbox made from a snapshot starts exact, and the VM it runs on never
// carries the previous user's memory or registers, whichever way it was
// made: a VM the pool scrubbed (the deleted sandbox is destroyed), a deleted
// sandbox kept warm and restored (it is parked), or a spare built ahead of
// time while earlier sandboxes are still alive.
TEST_F(SnapshotExactness, SandboxesFromASnapshotStartClean) {
  auto source = make();
  auto snap = source->snapshot();
  std::vector<std::unique_ptr<hl::Sandbox>> alive;
  for (int i = 0; i < 15; i++) {
    auto sb = engine_->create_sandbox_from_snapshot(hl::SandboxConfig{}, snap);
    EXPECT_EQ(memory_hash(*sb), memory_hash(*snap)) << "round " << i;
    expect_same_vcpu(snap->vcpu, sb->vcpu_state());
    EXPECT_EQ(count_calls(*sb), 1);
    hl::Val secret = u64(0x5ec7e7000 + static_cast<uint64_t>(i));
    sb->call("SetXmm0", &secret, 1, nullptr);
    hl::Val args[] = {u64(static_cast<uint64_t>(i) + 99), i32(i % 4 == 0 ? 1 : 0)};  // leave secrets, or fault
    try {
      sb->call("Scribble", args, 2, nullptr);
    } catch (const hl::Error &) {
    }
    switch (i % 3) {
      case 0: sb.reset(); break;                      // destroyed: its VM is scrubbed
      case 1: engine_->retire(std::move(sb)); break;  // parked for reuse
      case 2: alive.push_back(std::move(sb)); break;  // the next comes from a prefilled spare
    }
    // Give the background threads time to scrub VMs and build spares.
    for (int wait = 0; wait < 200 && engine_->spares().count_for(snap) == 0; wait++)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(engine_->spares().count_for(snap), 0u) << "no spare was ever built";
}

// A snapshot file carries only user state and the loader rebuilds the rest:
// the rebuilt state must be exactly what the host sets at boot, so a sandbox
// from the file has the registers of the sandbox the file was saved from,
// and restoring the loaded snapshot keeps them.
TEST_F(SnapshotExactness, SandboxFromAFileHasTheLiveState) {
  auto source = make();
  count_calls(*source);
  hl::Val secret = u64(0x5ec7e7);
  source->call("SetXmm0", &secret, 1, nullptr);
  auto live = source->snapshot();
  const uint64_t cr4 = engine_->host_cr4();
  std::shared_ptr<const hl::Snapshot> loaded = hl::parse_snapshot(hl::serialize_snapshot(*live), cr4);
  expect_same_vcpu(live->vcpu, loaded->vcpu);
  auto sb = engine_->create_sandbox_from_snapshot(hl::SandboxConfig{}, loaded);
  expect_same_vcpu(live->vcpu, sb->vcpu_state());
  // Memory is the same but for the page tables the loader rebuilt: the
  // live ones carry the accessed and dirty bits the MMU set.
  const hl::mem::Layout &l = live->layout;
  const uint8_t *have = sb->memory().host_base();
  const uint8_t *want = live->memory.data();
  const uint64_t tables_end = l.page_tables + l.page_tables_size;
  EXPECT_EQ(std::memcmp(have, want, l.page_tables), 0);
  EXPECT_EQ(std::memcmp(have + tables_end, want + tables_end, l.memory_size - tables_end), 0);
  EXPECT_EQ(count_calls(*sb), 2);
  sb->restore(loaded);
  expect_same_vcpu(live->vcpu, sb->vcpu_state());
  EXPECT_EQ(count_calls(*sb), 2);
  // The rebuilt privileged state also brings back a vCPU that faulted,
  // aborted or was stopped mid-run (full restores from the loaded snapshot).
  run_rounds(*sb, loaded, 20);
}

}  // namespace
