#include "error_codes.h"

#include <array>
#include <utility>

namespace hlcli {
namespace {

// The macro keeps each name and value together: NAMED(HL_ERROR_IO) is
// {HL_ERROR_IO, "HL_ERROR_IO"}.
#define NAMED(code) std::pair<hl_error_code_t, const char *>(code, #code)
constexpr std::array kNames{
    NAMED(HL_ERROR_INVALID_ARGUMENT),
    NAMED(HL_ERROR_NO_HYPERVISOR),
    NAMED(HL_ERROR_HYPERVISOR),
    NAMED(HL_ERROR_OUT_OF_MEMORY),
    NAMED(HL_ERROR_IO),
    NAMED(HL_ERROR_INVALID_ELF),
    NAMED(HL_ERROR_GUEST_INIT_FAILED),
    NAMED(HL_ERROR_GUEST_FUNCTION_NOT_FOUND),
    NAMED(HL_ERROR_HOST_FUNCTION_NOT_FOUND),
    NAMED(HL_ERROR_HOST_FUNCTION_FAILED),
    NAMED(HL_ERROR_CANCELLED),
    NAMED(HL_ERROR_GUEST_ABORTED),
    NAMED(HL_ERROR_GUEST_EXCEPTION),
    NAMED(HL_ERROR_GUEST_ERROR),
    NAMED(HL_ERROR_PARAMETER_TYPE_MISMATCH),
    NAMED(HL_ERROR_PARAMETER_COUNT_MISMATCH),
    NAMED(HL_ERROR_PROTOCOL),
    NAMED(HL_ERROR_TOO_LARGE),
    NAMED(HL_ERROR_POISONED),
    NAMED(HL_ERROR_BUSY),
    NAMED(HL_ERROR_ALREADY_REGISTERED),
    NAMED(HL_ERROR_TRIPLE_FAULT),
    NAMED(HL_ERROR_UNEXPECTED_EXIT),
    NAMED(HL_ERROR_INTERNAL),
    NAMED(HL_ERROR_MEMORY_ACCESS_VIOLATION),
    NAMED(HL_ERROR_STACK_OVERFLOW),
    NAMED(HL_ERROR_NOT_ALIGNED),
    NAMED(HL_ERROR_REGION_OVERLAP),
    NAMED(HL_ERROR_REGION_NOT_FOUND),
    NAMED(HL_ERROR_OUT_OF_RANGE),
    NAMED(HL_ERROR_TIMEOUT),
    NAMED(HL_ERROR_SNAPSHOT_MISMATCH),
    NAMED(HL_ERROR_SNAPSHOT_CORRUPT),
    NAMED(HL_ERROR_SNAPSHOT_VERSION),
    NAMED(HL_ERROR_HOST_FUNCTIONS_FROZEN),
    NAMED(HL_ERROR_DEBUGGER),
    NAMED(HL_ERROR_CPU_BUDGET_EXCEEDED),
};
#undef NAMED

}  // namespace

std::string error_code_name(hl_error_code_t code) {
  for (const auto &[value, name] : kNames)
    if (value == code) return name;
  return "HL_ERROR_" + std::to_string(code);
}

const char *error_hint(hl_error_code_t code) {
  switch (code) {
    case HL_ERROR_INVALID_ARGUMENT:
      return "an option is out of range; the message names the limits (hl_config_set_heap_size is --heap-size, "
             "and so on)";
    case HL_ERROR_NO_HYPERVISOR: return "run 'hyperlight check' to see what is missing and how to fix it";
    case HL_ERROR_HYPERVISOR: return "run 'hyperlight check'; if it passes, please report this message";
    case HL_ERROR_OUT_OF_MEMORY: return "free some memory, or lower --heap-size and --stack-size";
    case HL_ERROR_IO: return "check that the file exists, is a regular file and is readable";
    case HL_ERROR_INVALID_ELF:
      return "GUEST must be a guest built with the hyperlight guest SDK (a static-PIE x86-64 ELF; docs/guest-sdk.md)";
    case HL_ERROR_GUEST_INIT_FAILED: return "the guest failed while starting; --log-level debug shows its log";
    case HL_ERROR_GUEST_FUNCTION_NOT_FOUND: return "'hyperlight inspect GUEST' lists the guest's functions";
    case HL_ERROR_HOST_FUNCTION_NOT_FOUND:
      return "the function calls a host function, and the CLI registers none: call it from a host program instead";
    case HL_ERROR_GUEST_ABORTED: return "the guest gave up; --log-level debug shows its log";
    case HL_ERROR_GUEST_EXCEPTION: return "the guest crashed; the message says where";
    case HL_ERROR_PARAMETER_TYPE_MISMATCH:
    case HL_ERROR_PARAMETER_COUNT_MISMATCH:
      return "'hyperlight inspect GUEST' shows the parameters; an argument without a kind prefix gets its "
             "parameter's kind";
    case HL_ERROR_PROTOCOL: return "the guest broke the host/guest protocol: rebuild it with this guest SDK";
    case HL_ERROR_TOO_LARGE: return "raise --input-buffer-size (arguments) or --output-buffer-size (results)";
    case HL_ERROR_TRIPLE_FAULT:
    case HL_ERROR_UNEXPECTED_EXIT:
    case HL_ERROR_INTERNAL: return "please report this message with the output of 'hyperlight check'";
    case HL_ERROR_STACK_OVERFLOW: return "raise --stack-size (e.g. --stack-size 1M)";
    case HL_ERROR_TIMEOUT:
      return "raise --timeout (e.g. --timeout 10s) or find out why the guest does not finish; a guest still "
             "starting after 10 s is stopped too";
    case HL_ERROR_CPU_BUDGET_EXCEEDED:
      return "raise --cpu-budget (e.g. --cpu-budget 2s) or find out why the guest computes so long; time in host "
             "functions does not count";
    case HL_ERROR_DEBUGGER: return "choose a free port with --gdb-port (or HYPERLIGHT_GDB_PORT); docs/debugging.md";
    case HL_ERROR_SNAPSHOT_CORRUPT: return "the snapshot file is damaged: write it again with --snapshot-out";
    case HL_ERROR_SNAPSHOT_VERSION:
      return "the snapshot was written by another hyperlight version: write it again with --snapshot-out";
    default: return "";
  }
}

}  // namespace hlcli
