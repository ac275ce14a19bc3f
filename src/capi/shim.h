// Helpers for the extern "C" entry points: the objects behind the opaque
// handles, and guarded(), which turns every C++ exception into an
// hl_error_t* so nothing unwinds across the C ABI.
#pragma once

#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "capi/api_conversions.h"
#include "capi/error_object.h"
#include "capi/sandbox_anchor.h"
#include "common/error.h"
#include "engine/engine.h"
#include "hyperlight.h"
#include "sandbox/config.h"
#include "sandbox/host_function_set.h"
#include "sandbox/interrupt.h"
#include "sandbox/sandbox.h"

struct hl_config {
  hl::SandboxConfig config;
  std::shared_ptr<hl::Engine> engine;  // null: the default engine
};

struct hl_engine_config {
  hl::EngineOptions options;
};

struct hl_engine {
  std::shared_ptr<hl::Engine> engine;
};

// Members are destroyed in reverse: the sandbox (which uses the engine's
// pool and timer) before the engine reference.
struct hl_sandbox {
  std::shared_ptr<hl::Engine> engine;
  std::unique_ptr<hl::Sandbox> sandbox;
  // Shared with guest function pointers, detached in hl_sandbox_delete.
  std::shared_ptr<hl::SandboxAnchor> anchor = std::make_shared<hl::SandboxAnchor>(this);
};

struct hl_snapshot {
  std::shared_ptr<const hl::Snapshot> snapshot;
  // Engines that made sandboxes from it and may keep spares for it: told
  // to let them go when the snapshot is deleted.
  std::mutex engines_mu;
  std::vector<std::weak_ptr<hl::Engine>> engines;
};

// One reference to a host-function set; configs hold others, and sandboxes
// hold its frozen table.
struct hl_host_functions {
  std::shared_ptr<hl::HostFunctionSet> set;
};

struct hl_interrupt_handle {
  std::shared_ptr<hl::InterruptControl> control;
};

namespace hl {

// Every error message starts with the entry point the user called. Inner
// layers may name the operation they implement ("hl_sandbox_restore: ..."),
// which a caller can reach through another entry point
// (hl_call_and_restore): that name is replaced; a message naming none gets
// the entry point in front.
std::string name_entry_point(const char *entry, const std::string &message);

// error as the hl_error_t* of the C entry point `entry`.
inline hl_error_t *error_for_entry(const char *entry, const Error &error) noexcept {
  try {
    return make_error(to_c(error.code()), name_entry_point(entry, error.what()).c_str());
  } catch (...) {
    return make_error(to_c(error.code()), error.what());
  }
}

// Runs body for the C entry point `entry` (pass __func__) and turns every
// exception into an hl_error_t*. body returns void, or a Failure (calls:
// their usual failures come back without an exception, error.h).
template <typename F>
hl_error_t *guarded(const char *entry, F &&body) noexcept {
  try {
    if constexpr (std::is_same_v<decltype(body()), Failure>) {
      const Failure failure = body();
      return failure ? error_for_entry(entry, *failure) : nullptr;
    } else {
      body();
      return nullptr;
    }
  } catch (const Error &e) {
    return error_for_entry(entry, e);
  } catch (const std::bad_alloc &) {
    return make_error(HL_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return make_error(HL_ERROR_INTERNAL, e.what());
  } catch (...) {
    return make_error(HL_ERROR_INTERNAL, "unknown internal error");
  }
}

inline void require(bool condition, const char *message) {
  if (!condition) throw Error(ErrorCode::kInvalidArgument, message);
}

// The engine a config names, else the default engine.
inline std::shared_ptr<Engine> engine_of(const hl_config_t *config) {
  if (config != nullptr && config->engine != nullptr) return config->engine;
  return Engine::default_engine();
}

inline const SandboxConfig &settings_of(const hl_config_t *config) {
  static const SandboxConfig kDefaults;
  return config != nullptr ? config->config : kDefaults;
}

}  // namespace hl
