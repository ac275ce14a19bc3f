// The `hyperlight` command line, parsed into one command and its options
// (docs/cli.md). Pure: no files are read and no sandbox is made here; call
// arguments stay text until the guest's function table gives them kinds
// (call_arguments.h). Bounded: token count and length, argument count.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hlcli {

// The user's command line is wrong: exit status 2. command names the
// command whose --help explains it ("" for the tool itself).
class UsageError : public std::runtime_error {
 public:
  UsageError(std::string command, const std::string &message)
      : std::runtime_error(message), command_(std::move(command)) {}
  const std::string &command() const { return command_; }

 private:
  std::string command_;
};

// How a sandbox is made: from GUEST.elf with these settings, or from a
// snapshot file (whose memory layout is fixed, so the sizes and init data
// cannot be given with it).
struct SandboxOptions {
  std::optional<std::string> snapshot_in;
  std::optional<uint64_t> heap_size;
  std::optional<uint64_t> stack_size;
  std::optional<uint64_t> input_buffer_size;
  std::optional<uint64_t> output_buffer_size;
  std::optional<std::string> init_data;      // a file's path
  std::optional<uint64_t> timeout_ns;        // per call; 0: none
  std::optional<uint64_t> cpu_budget_ns;     // guest CPU time per call; 0: none
  std::optional<uint32_t> log_level;         // HL_LOG_*
  std::optional<uint16_t> gdb_port;          // run only: wait for gdb on 127.0.0.1:PORT
  std::optional<std::string> crashdump_dir;  // run only: ELF cores of guest faults go here
};

struct RunCommand {
  SandboxOptions sandbox;
  std::optional<std::string> guest;     // absent with --snapshot-in
  std::optional<std::string> function;  // absent only with --snapshot-out
  std::vector<std::string> arguments;   // as typed
  std::optional<std::string> snapshot_out;
  uint32_t repeat = 1;
  bool json = false;
  bool raw = false;
  bool metrics = false;  // print the engine's metrics (Prometheus text) after the run
};

struct InspectCommand {
  SandboxOptions sandbox;
  std::optional<std::string> guest;  // absent with --snapshot-in
  bool json = false;
};

struct CheckCommand {
  std::optional<std::string> guest;  // boot it to prove sandboxes work
  bool json = false;
};

struct HelpCommand {
  std::string topic;  // "" for the tool, else "run", "inspect" or "check"
};

struct VersionCommand {};

using Command = std::variant<HelpCommand, VersionCommand, RunCommand, InspectCommand, CheckCommand>;

constexpr size_t kMaxTokens = 4096;
constexpr size_t kMaxTokenBytes = 128 * 1024;  // Linux's limit on one argument (MAX_ARG_STRLEN)
constexpr size_t kMaxPathBytes = 4095;         // PATH_MAX without its NUL
constexpr size_t kMaxCallArguments = 32;       // what hl_call takes
constexpr size_t kMaxFunctionNameBytes = 255;  // what a guest can declare
constexpr uint32_t kMaxRepeat = 1'000'000;

// args: argv without argv[0]. Throws UsageError.
Command parse_command_line(std::span<const std::string_view> args);

}  // namespace hlcli
