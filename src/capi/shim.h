// Helpers for the extern "C" entry points: the objects behind the opaque
// handles, and guarded(), which turns every C++ exception into an
// hl_error_t* so nothing unwinds across the C ABI.
#pragma once

#include <memory>
#include <new>

#include "common/error.h"
#include "common/error_object.h"
#include "hyperlight.h"
#include "sandbox/config.h"
#include "sandbox/interrupt.h"
#include "sandbox/sandbox.h"

struct hl_config {
  hl::SandboxConfig config;
};

struct hl_sandbox {
  std::unique_ptr<hl::Sandbox> sandbox;
};

struct hl_snapshot {
  std::shared_ptr<const hl::Snapshot> snapshot;
};

struct hl_interrupt_handle {
  std::shared_ptr<hl::InterruptControl> control;
};

namespace hl {

template <typename F>
hl_error_t *guarded(F &&body) noexcept {
  try {
    body();
    return nullptr;
  } catch (const Error &e) {
    return make_error(e.code(), e.what());
  } catch (const std::bad_alloc &) {
    return make_error(HL_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return make_error(HL_ERROR_INTERNAL, e.what());
  } catch (...) {
    return make_error(HL_ERROR_INTERNAL, "unknown internal error");
  }
}

inline void require(bool condition, const char *message) {
  if (!condition) throw Error(HL_ERROR_INVALID_ARGUMENT, message);
}

}  // namespace hl
