// A set of host functions that many sandboxes share (hl_host_functions_t).
//
// Functions are added while the set is being built; the first sandbox made
// with it freezes it. From then on its table never changes, so every
// sandbox holds the same table by reference and looks names up without a
// lock, and registration is paid once for all of them. The table (and so
// each function's finalizer) lives as long as the last set handle, config
// or sandbox that holds it.
#pragma once

#include <memory>
#include <mutex>

#include "sandbox/host_functions.h"

namespace hl {

class HostFunctionSet {
 public:
  HostFunctionSet() = default;
  HostFunctionSet(const HostFunctionSet &) = delete;
  HostFunctionSet &operator=(const HostFunctionSet &) = delete;

  // Throws Error: ALREADY_REGISTERED, HOST_FUNCTIONS_FROZEN; fn is destroyed
  // (finalized) then.
  void add(std::unique_ptr<HostFunction> fn);
  // The table as it is now, which can no longer change. Never null.
  std::shared_ptr<const HostFunctionTable> freeze();

 private:
  std::mutex mu_;
  bool frozen_ = false;
  std::shared_ptr<HostFunctionTable> table_ = std::make_shared<HostFunctionTable>();
};

}  // namespace hl
