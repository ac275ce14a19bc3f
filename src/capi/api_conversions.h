// Between the C ABI's types (include/hyperlight.h) and the inner layers'
// (common/api_types.h). Constants convert with a cast and values with a byte
// copy: api_types_check.h asserts that numbers, sizes and offsets agree. A
// copy rather than a pointer cast, because the two structs are distinct
// types to the compiler (a cast would break strict aliasing).
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>

#include "abi/hl_wire.h"
#include "capi/api_types_check.h"

namespace hl {

inline hl_error_code_t to_c(ErrorCode code) { return static_cast<hl_error_code_t>(code); }
inline hl_kill_result_t to_c(KillResult result) { return static_cast<hl_kill_result_t>(result); }
inline hl_sandbox_status_t to_c(SandboxStatus status) { return static_cast<hl_sandbox_status_t>(status); }
inline ValKind from_c(hl_val_kind_t kind) { return static_cast<ValKind>(kind); }
inline hl_val_kind_t to_c(ValKind kind) { return static_cast<hl_val_kind_t>(kind); }
// An array of kinds, lent rather than copied: ValKind's underlying type is
// hl_val_kind_t (uint8_t, whose pointers may read any object).
inline const hl_val_kind_t *to_c(const ValKind *kinds) {
  static_assert(std::is_same_v<std::underlying_type_t<ValKind>, hl_val_kind_t>);
  return reinterpret_cast<const hl_val_kind_t *>(kinds);
}
inline LogLevel log_level_from_c(hl_log_level_t level) { return static_cast<LogLevel>(level); }
inline hl_log_level_t to_c(LogLevel level) { return static_cast<hl_log_level_t>(level); }

inline Val from_c(const hl_val_t &value) {
  Val v;
  std::memcpy(&v, &value, sizeof v);
  return v;
}

inline hl_val_t to_c(const Val &value) {
  hl_val_t v;
  std::memcpy(&v, &value, sizeof v);
  return v;
}

// Structs of identical layout (api_types_check.h asserts it), copied.
inline hl_call_stats_t to_c(const CallStats &stats) {
  hl_call_stats_t c;
  std::memcpy(&c, &stats, sizeof c);
  return c;
}
inline hl_metrics_t to_c(const Metrics &metrics) {
  hl_metrics_t c;
  std::memcpy(&c, &metrics, sizeof c);
  return c;
}
inline hl_span_event_t to_c(const SpanEvent &event) {
  hl_span_event_t c;
  std::memcpy(&c, &event, sizeof c);
  return c;
}

// A caller's arguments as Vals. A call refuses more than the wire carries
// before it reads any, so only that many are copied; size() stays the
// caller's count, and data() stays NULL when the caller passed NULL.
class ArgsFromC {
 public:
  ArgsFromC(const hl_val_t *args, size_t nargs) : size_(nargs) {
    if (args == nullptr) return;
    std::memcpy(static_cast<void *>(vals_.data()), args, std::min<size_t>(nargs, vals_.size()) * sizeof(Val));
    data_ = vals_.data();
  }
  const Val *data() const { return data_; }
  size_t size() const { return size_; }

 private:
  std::array<Val, HL_WIRE_MAX_ARGS> vals_;
  const Val *data_ = nullptr;
  size_t size_;
};

}  // namespace hl
