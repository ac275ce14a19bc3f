// Sandbox::CallScope: brackets one call for its accounting
// (call_accounting.cpp). Made before the sandbox is marked busy and
// destroyed while it still is: begin() once the call owns the sandbox
// (counts are reset, the CPU clock read, the span started); the destructor
// fills the caller's stats, adds to the engine's metrics and ends the span.
// A call refused before begin() (HL_ERROR_BUSY) counts in the metrics only.
#pragma once

#include <new>
#include <string>
#include <string_view>

#include "common/error.h"
#include "sandbox/sandbox.h"

namespace hl {

class Sandbox::CallScope {
 public:
  CallScope(Sandbox &sandbox, std::string_view function, const Limits &limits, CallStats *stats);
  ~CallScope();
  CallScope(const CallScope &) = delete;
  CallScope &operator=(const CallScope &) = delete;

  void begin();
  // Runs body, which returns a Failure or throws; records the failure's
  // code either way. Caught by type: classifying through
  // std::rethrow_exception would cost one more unwind per thrown failure.
  template <typename Body>
  Failure run(Body &&body) {
    try {
      Failure failure = body();
      if (failure) fail(failure->code());
      return failure;
    } catch (const Error &e) {
      fail(e.code());
      throw;
    } catch (const std::bad_alloc &) {
      fail(ErrorCode::kOutOfMemory);
      throw;
    } catch (...) {
      fail(ErrorCode::kInternal);
      throw;
    }
  }

 private:
  Sandbox &sandbox_;
  const std::string_view function_;  // the caller's: it outlives the call
  CallStats *const stats_;
  const bool detailed_;
  const uint64_t start_ns_;
  uint64_t cpu_start_ns_ = 0;
  void fail(ErrorCode code) {
    failed_ = true;
    failure_ = code;
  }
  bool began_ = false;
  bool failed_ = false;
  ErrorCode failure_{};
};

}  // namespace hl
