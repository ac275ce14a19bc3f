// Makes the sandbox a command works on, from GUEST.elf or --snapshot-in,
// with the command line's settings (SandboxOptions).
#pragma once

#include <optional>
#include <string>

#include "command_line.h"
#include "library.h"

namespace hlcli {

// The most --init-data may hold (hyperlight's own limit).
constexpr size_t kMaxInitDataBytes = size_t{256} << 20;

// The sandbox and its engine: one of the CLI's own, with no pool of spare
// VMs (a CLI run makes one sandbox).
struct Session {
  EnginePtr engine;
  SandboxPtr sandbox;
};

// Throws LibraryError, or InputFileError for --init-data.
Session open_session(const SandboxOptions &options, const std::optional<std::string> &guest);

// The two halves of open_session, for a caller that reads the engine after
// the sandbox is gone, or after making it failed (run --metrics).
EnginePtr new_engine();
SandboxPtr new_sandbox(const SandboxOptions &options, const std::optional<std::string> &guest, hl_engine_t *engine);

}  // namespace hlcli
