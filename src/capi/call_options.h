// hl_call_options_t and hl_call_stats_t at the C boundary, shared by
// hl_call_ex and hl_call_and_restore_ex.
#pragma once

#include "hyperlight.h"
#include "sandbox/sandbox.h"

namespace hl {

// Throws Error(HL_ERROR_INVALID_ARGUMENT) for unknown flags or non-zero
// reserved fields, naming entry. NULL: the config's settings.
Sandbox::CallSettings call_settings_from_c(const hl_call_options_t *options, const char *entry);

// The stats a call fills, copied to the caller's struct however the call
// ends (also when it throws); nothing is measured when the caller passed NULL.
class CallStatsOut {
 public:
  explicit CallStatsOut(hl_call_stats_t *out) : out_(out) {}
  ~CallStatsOut();
  CallStatsOut(const CallStatsOut &) = delete;
  CallStatsOut &operator=(const CallStatsOut &) = delete;
  CallStats *target() { return out_ != nullptr ? &stats_ : nullptr; }

 private:
  hl_call_stats_t *out_;
  CallStats stats_{};
};

}  // namespace hl
