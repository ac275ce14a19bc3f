// The library's internal error: a stable code (HL_ERROR_*) and a message.
// Thrown inside the library and converted to hl_error_t* at the C ABI
// boundary (src/capi), where every entry point catches everything.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/api_types.h"

namespace hl {

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Formats like printf into a std::string (messages name the thing at fault).
// A failure returned instead of thrown, on the paths a service meets in
// normal operation (a kill, a timeout, a CPU budget, a guest's own error):
// an exception thrown right after a VM exit costs tens of microseconds here
// (cold TLB and caches; docs/benchmarks.md, kill latency). Empty: success.
using Failure = std::optional<Error>;

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// "<what> failed: <strerror(errno)> (errno N)".
std::string errno_message(const char *what, int err);

}  // namespace hl
