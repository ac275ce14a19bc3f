// The guest counter: a u64 the host owns and the guest can only read.
//
// The host keeps the authoritative value and mirrors it into the PEB, whose
// page is read-only to the guest; the value is never read back from guest
// memory, so nothing the guest does can change what the host reports.
#include <cstddef>

#include "abi/hl_abi.h"
#include "common/error.h"
#include "sandbox/sandbox.h"

namespace hl {
namespace {

// Adds delta (+1 or -1) without leaving [0, UINT64_MAX]; returns the new value.
uint64_t step(std::atomic<uint64_t> &counter, bool up) {
  uint64_t current = counter.load();
  for (;;) {
    if (up && current == UINT64_MAX)
      throw Error(ErrorCode::kOutOfRange, "hl_sandbox_counter_increment: the guest counter is at UINT64_MAX");
    if (!up && current == 0)
      throw Error(ErrorCode::kOutOfRange, "hl_sandbox_counter_decrement: the guest counter is at 0");
    uint64_t next = up ? current + 1 : current - 1;
    if (counter.compare_exchange_weak(current, next)) return next;
  }
}

}  // namespace

uint64_t Sandbox::counter_increment() {
  uint64_t value = step(counter_, true);
  publish_counter();
  return value;
}

uint64_t Sandbox::counter_decrement() {
  uint64_t value = step(counter_, false);
  publish_counter();
  return value;
}

// Concurrent steps could publish out of order, so each publishes the current
// value (not its own step's) under a lock: the last store is always current.
void Sandbox::publish_counter() {
  auto *slot = reinterpret_cast<uint64_t *>(memory_.span(layout_.peb + offsetof(hl_peb, counter), 8).data());
  std::lock_guard<std::mutex> lock(counter_publish_mu_);
  __atomic_store_n(slot, counter_.load(), __ATOMIC_SEQ_CST);
}

}  // namespace hl
