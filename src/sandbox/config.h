// Sandbox settings, validated when set (so a bad size fails at the setter
// that caused it, with the allowed range in the message).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/api_types.h"
#include "mem/layout.h"
#include "sandbox/host_function_set.h"

namespace hl {

// A guest's log record. The text comes from the guest (untrusted) and lives
// only as long as the callback; file and message are NUL-terminated just
// past their ends, so a C callback may use their data() as C strings.
struct GuestLogRecord {
  LogLevel level;
  std::string_view file;
  uint32_t line;
  std::string_view message;
};
using GuestLogCallback = std::function<void(const GuestLogRecord &)>;
// Receives what the guest prints (untrusted bytes, valid during the call).
using GuestPrintCallback = std::function<void(std::string_view text)>;

struct SandboxConfig {
  static constexpr uint64_t kMinHeap = mem::kMinHeap, kMaxHeap = mem::kMaxHeap;
  static constexpr uint64_t kMinStack = mem::kMinStack, kMaxStack = mem::kMaxStack;
  static constexpr uint64_t kMinBuffer = mem::kMinBuffer, kMaxBuffer = mem::kMaxBuffer;

  uint64_t heap_size = 4ull << 20;
  uint64_t stack_size = 256ull << 10;
  uint64_t input_buffer_size = 64ull << 10;
  uint64_t output_buffer_size = 64ull << 10;

  // Time limits of 2^62 ns (about 146 years) and more mean none, like 0:
  // a deadline that far out would overflow the clock.
  static constexpr uint64_t kUnlimitedFromNs = 1ull << 62;
  static constexpr uint64_t kDefaultInitTimeoutNs = 10'000'000'000ull;  // 10 s

  uint64_t call_timeout_ns = 0;  // 0: calls have no time limit
  // Guest CPU time per call, host functions not counted (0: none; from
  // kUnlimitedFromNs on, none too).
  uint64_t call_cpu_budget_ns = 0;
  // The guest's initialisation in hl_sandbox_new (0: none). A guest stuck
  // there would otherwise block its creator forever: nobody holds a handle
  // to kill it with yet.
  uint64_t init_timeout_ns = kDefaultInitTimeoutNs;
  std::vector<uint8_t> init_data;
  uint32_t init_data_flags = 0;  // HL_MAP_* (0 = read)
  void set_init_data(const uint8_t *data, size_t len, uint32_t flags);

  // Guest log records go here; empty means the default (stderr).
  GuestLogCallback log_callback;
  // Guest prints go here, at most print_limit bytes per call; empty means
  // stdout, uncapped.
  static constexpr uint64_t kDefaultPrintLimit = 64 * 1024;
  GuestPrintCallback print_callback;
  uint64_t print_limit = kDefaultPrintLimit;
  // Host functions every sandbox made with this config starts with; null
  // for none. Making a sandbox freezes the set (host_function_set.h).
  std::shared_ptr<HostFunctionSet> host_functions;
  // The set's table as a sandbox sees it: frozen now; empty without a set.
  HostFunctionRegistry host_function_registry() const {
    return host_functions != nullptr ? HostFunctionRegistry(host_functions->freeze()) : HostFunctionRegistry();
  }

  // Unset: HYPERLIGHT_LOG, else HL_LOG_WARN (see effective_max_log_level).
  bool max_log_level_set = false;
  LogLevel max_log_level = LogLevel::kWarn;

  // Debugging (docs/debugging.md). A gdb port makes each sandbox listen on
  // 127.0.0.1:port and wait for gdb before the guest's first instruction;
  // 0 turns it off. Unset: HYPERLIGHT_GDB_PORT, else off.
  bool gdb_port_set = false;
  uint16_t gdb_port = 0;
  // The port in effect; throws Error(HL_ERROR_INVALID_ARGUMENT) if
  // HYPERLIGHT_GDB_PORT is set but not a port number.
  uint16_t effective_gdb_port() const;
  // Where a guest fault writes an ELF core ("" for nowhere). Unset:
  // HYPERLIGHT_CRASHDUMP_DIR, else nowhere.
  bool crashdump_dir_set = false;
  std::string crashdump_dir;
  std::string effective_crashdump_dir() const;

  // Round up to 4 KiB; throw Error(HL_ERROR_INVALID_ARGUMENT) naming the range.
  void set_heap_size(uint64_t bytes);
  void set_stack_size(uint64_t bytes);
  void set_input_buffer_size(uint64_t bytes);
  void set_output_buffer_size(uint64_t bytes);
  void set_max_log_level(LogLevel level);

  // The explicit level, else the one HYPERLIGHT_LOG names, else HL_LOG_WARN.
  LogLevel effective_max_log_level() const;
};

// "off", "error", "warn", "info", "debug", "trace" (any case) or a digit
// 0-5; returns false for anything else.
bool parse_log_level(const char *text, LogLevel *level);

}  // namespace hl
