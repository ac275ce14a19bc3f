// The CLI's hold on hyperlight's C objects: one owner per handle, and C
// errors turned into LibraryError (exit status 1).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "hyperlight.h"

namespace hlcli {

// An error the library reported: its code and message.
class LibraryError : public std::runtime_error {
 public:
  LibraryError(hl_error_code_t code, const std::string &message) : std::runtime_error(message), code_(code) {}
  hl_error_code_t code() const { return code_; }

 private:
  hl_error_code_t code_;
};

// Throws LibraryError if error is not NULL, which it frees.
void check(hl_error_t *error);

struct ConfigDeleter {
  void operator()(hl_config_t *c) const { hl_config_delete(c); }
};
struct EngineConfigDeleter {
  void operator()(hl_engine_config_t *c) const { hl_engine_config_delete(c); }
};
struct EngineDeleter {
  void operator()(hl_engine_t *e) const { hl_engine_delete(e); }
};
struct SandboxDeleter {
  void operator()(hl_sandbox_t *s) const { hl_sandbox_delete(s); }
};
struct SnapshotDeleter {
  void operator()(hl_snapshot_t *s) const { hl_snapshot_delete(s); }
};
using ConfigPtr = std::unique_ptr<hl_config_t, ConfigDeleter>;
using EngineConfigPtr = std::unique_ptr<hl_engine_config_t, EngineConfigDeleter>;
using EnginePtr = std::unique_ptr<hl_engine_t, EngineDeleter>;
using SandboxPtr = std::unique_ptr<hl_sandbox_t, SandboxDeleter>;
using SnapshotPtr = std::unique_ptr<hl_snapshot_t, SnapshotDeleter>;

// A call's result; releases what it owns.
class CallResult {
 public:
  CallResult() = default;
  ~CallResult() { hl_val_release(&value_); }
  CallResult(const CallResult &) = delete;
  CallResult &operator=(const CallResult &) = delete;
  hl_val_t *out() {
    hl_val_release(&value_);
    return &value_;
  }
  const hl_val_t &value() const { return value_; }

 private:
  hl_val_t value_{};
};

}  // namespace hlcli
