// Marks a sandbox busy for one operation (a call, a registration, a map),
// refusing a second one that overlaps it: concurrent use and re-entry from
// host functions fail with HL_ERROR_BUSY instead of corrupting state.
#pragma once

#include <atomic>

#include "common/error.h"

namespace hl {

// Clears the flag when the operation ends, however it ends.
class BusyGuard {
 public:
  explicit BusyGuard(std::atomic<bool> &busy) : busy_(busy) {
    if (busy_.exchange(true, std::memory_order_acquire))
      throw Error(ErrorCode::kBusy,
                  "the sandbox is busy: a call is running (concurrent use, or re-entry from a host function)");
  }
  ~BusyGuard() { busy_.store(false, std::memory_order_release); }
  BusyGuard(const BusyGuard &) = delete;
  BusyGuard &operator=(const BusyGuard &) = delete;

 private:
  std::atomic<bool> &busy_;
};

}  // namespace hl
