#include "capi/call_options.h"

#include "capi/api_conversions.h"
#include "common/error.h"

namespace hl {

Sandbox::CallSettings call_settings_from_c(const hl_call_options_t *options, const char *entry) {
  Sandbox::CallSettings settings;
  if (options == nullptr) return settings;
  constexpr uint32_t kKnown = HL_CALL_OPTION_TIMEOUT | HL_CALL_OPTION_CPU_BUDGET;
  if ((options->flags & ~kKnown) != 0)
    throw Error(ErrorCode::kInvalidArgument,
                format("%s: options->flags has unknown bits 0x%x (HL_CALL_OPTION_TIMEOUT, HL_CALL_OPTION_CPU_BUDGET "
                       "are known); zero the struct before setting it",
                       entry, options->flags & ~kKnown));
  bool reserved_zero = options->reserved0 == 0;
  for (uint64_t word : options->reserved) reserved_zero = reserved_zero && word == 0;
  if (!reserved_zero)
    throw Error(ErrorCode::kInvalidArgument,
                format("%s: options has non-zero reserved fields; zero the struct before setting it", entry));
  if ((options->flags & HL_CALL_OPTION_TIMEOUT) != 0) settings.timeout_ns = options->timeout_ns;
  if ((options->flags & HL_CALL_OPTION_CPU_BUDGET) != 0) settings.cpu_budget_ns = options->cpu_budget_ns;
  return settings;
}

CallStatsOut::~CallStatsOut() {
  if (out_ != nullptr) *out_ = to_c(stats_);
}

}  // namespace hl
