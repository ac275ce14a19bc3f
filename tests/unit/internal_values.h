// Values for tests that call hl::Sandbox directly (the inner layers' hl::Val,
// not the C ABI's hl_val_t that tests/integration/test_support.h makes).
#pragma once

#include <cstdint>

#include "common/api_types.h"

namespace hl::testing {

inline Val i32(int32_t v) {
  Val val{};
  val.kind = ValKind::kI32;
  val.of.i32 = v;
  return val;
}

inline Val i64(int64_t v) {
  Val val{};
  val.kind = ValKind::kI64;
  val.of.i64 = v;
  return val;
}

inline Val u64(uint64_t v) {
  Val val{};
  val.kind = ValKind::kU64;
  val.of.u64 = v;
  return val;
}

}  // namespace hl::testing
