#include "sandbox/config.h"

#include <strings.h>

#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "mem/layout.h"

namespace hl {
namespace {

uint64_t checked_size(const char *what, uint64_t bytes, uint64_t min, uint64_t max) {
  if (bytes < min || bytes > max)
    throw Error(ErrorCode::kInvalidArgument,
                format("%s of %llu bytes is outside the allowed range [%llu, %llu]", what,
                       static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(min),
                       static_cast<unsigned long long>(max)));
  return mem::page_round_up(bytes);
}

}  // namespace

void SandboxConfig::set_heap_size(uint64_t bytes) {
  heap_size = checked_size("hl_config_set_heap_size: heap size", bytes, kMinHeap, kMaxHeap);
}

void SandboxConfig::set_stack_size(uint64_t bytes) {
  stack_size = checked_size("hl_config_set_stack_size: stack size", bytes, kMinStack, kMaxStack);
}

void SandboxConfig::set_input_buffer_size(uint64_t bytes) {
  input_buffer_size = checked_size("hl_config_set_input_buffer_size: input buffer size", bytes, kMinBuffer, kMaxBuffer);
}

void SandboxConfig::set_output_buffer_size(uint64_t bytes) {
  output_buffer_size =
      checked_size("hl_config_set_output_buffer_size: output buffer size", bytes, kMinBuffer, kMaxBuffer);
}

void SandboxConfig::set_init_data(const uint8_t *data, size_t len, uint32_t flags) {
  if (data == nullptr && len != 0) throw Error(ErrorCode::kInvalidArgument, "hl_config_set_init_data: data is NULL");
  if (len > mem::kMaxInitData)
    throw Error(ErrorCode::kInvalidArgument, format("hl_config_set_init_data: %zu bytes is more than the %llu allowed",
                                                    len, static_cast<unsigned long long>(mem::kMaxInitData)));
  if ((flags & ~(MapFlag::kRead | MapFlag::kWrite | MapFlag::kExecute)) != 0)
    throw Error(ErrorCode::kInvalidArgument, format("hl_config_set_init_data: unknown flags 0x%x", flags));
  // W^X: a guest that can write a page and run it can write its own code.
  if ((flags & MapFlag::kWrite) != 0 && (flags & MapFlag::kExecute) != 0)
    throw Error(ErrorCode::kInvalidArgument,
                "hl_config_set_init_data: HL_MAP_WRITE and HL_MAP_EXECUTE together are refused: guest memory is "
                "writable or executable, never both (W^X); pass one of them");
  init_data.assign(data, data + len);
  init_data_flags = flags;
}

void SandboxConfig::set_max_log_level(LogLevel level) {
  if (level > LogLevel::kTrace)
    throw Error(ErrorCode::kInvalidArgument,
                format("hl_config_set_max_log_level: level %u is above HL_LOG_TRACE (%u)", static_cast<unsigned>(level),
                       static_cast<unsigned>(LogLevel::kTrace)));
  max_log_level = level;
  max_log_level_set = true;
}

LogLevel SandboxConfig::effective_max_log_level() const {
  if (max_log_level_set) return max_log_level;
  LogLevel level;
  const char *env = std::getenv("HYPERLIGHT_LOG");
  if (env != nullptr && parse_log_level(env, &level)) return level;
  return LogLevel::kWarn;
}

uint16_t SandboxConfig::effective_gdb_port() const {
  if (gdb_port_set) return gdb_port;
  const char *env = std::getenv("HYPERLIGHT_GDB_PORT");
  if (env == nullptr || env[0] == '\0') return 0;
  char *end = nullptr;
  errno = 0;
  const unsigned long port = std::strtoul(env, &end, 10);
  if (errno != 0 || *end != '\0' || env[0] < '0' || env[0] > '9' || port > 65535)
    throw Error(ErrorCode::kInvalidArgument,
                format("HYPERLIGHT_GDB_PORT='%.32s' is not a TCP port: set it to 1-65535, or to 0 or nothing for no "
                       "debugger",
                       env));
  return static_cast<uint16_t>(port);
}

std::string SandboxConfig::effective_crashdump_dir() const {
  if (crashdump_dir_set) return crashdump_dir;
  const char *env = std::getenv("HYPERLIGHT_CRASHDUMP_DIR");
  return env != nullptr ? std::string(env) : std::string();
}

bool parse_log_level(const char *text, LogLevel *level) {
  static const char *const kNames[] = {"off", "error", "warn", "info", "debug", "trace"};
  for (unsigned i = 0; i <= static_cast<unsigned>(LogLevel::kTrace); i++) {
    if (strcasecmp(text, kNames[i]) == 0 || (text[0] == static_cast<char>('0' + i) && text[1] == '\0')) {
      *level = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

}  // namespace hl
