// What outlives an hl_sandbox_t for those that call it later without owning
// it (guest function pointers): whether it still exists, and a lock that
// makes hl_sandbox_delete wait for their calls instead of freeing the
// sandbox under them.
#pragma once

#include <atomic>
#include <mutex>
#include <shared_mutex>

struct hl_sandbox;

namespace hl {

class SandboxAnchor {
 public:
  explicit SandboxAnchor(hl_sandbox *sandbox) : sandbox_(sandbox) {}

  // Runs body(hl_sandbox *) with the sandbox, or with nullptr once it was
  // deleted. Calls share the lock: a second call on the same sandbox reaches
  // it and gets HL_ERROR_BUSY there, as with hl_call.
  template <typename F>
  auto with_sandbox(F &&body) {
    // Once a delete has begun, new calls are turned away without the lock:
    // threads that keep calling would otherwise keep the shared lock taken
    // and the delete waiting for as long as they go on.
    if (detaching_.load(std::memory_order_acquire)) return body(nullptr);
    std::shared_lock<std::shared_mutex> lock(mu_);
    return body(sandbox_);
  }

  // From hl_sandbox_delete: turns new calls away, waits for running ones,
  // then forgets the sandbox.
  void detach() {
    detaching_.store(true, std::memory_order_release);
    std::unique_lock<std::shared_mutex> lock(mu_);
    sandbox_ = nullptr;
  }

 private:
  std::atomic<bool> detaching_{false};
  std::shared_mutex mu_;
  hl_sandbox *sandbox_;
};

}  // namespace hl
