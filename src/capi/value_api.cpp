// hl_val_* helpers for owned string/bytes values.
#include <cstdlib>
#include <cstring>

#include "capi/shim.h"
#include "protocol/values.h"

namespace {

void release(hl_val_t *val) {
  hl::Val v = hl::from_c(*val);
  hl::release_value(&v);
  *val = hl::to_c(v);
}

hl_error_t *set_owned(hl_val_t *val, hl_val_kind_t kind, const void *ptr, size_t len, const char *fn) {
  return hl::guarded(__func__, [&] {
    hl::require(val != nullptr, fn);
    hl::require(ptr != nullptr || len == 0, fn);
    auto *copy = static_cast<uint8_t *>(std::malloc(len + 1));
    if (copy == nullptr) throw std::bad_alloc();
    if (len != 0) std::memcpy(copy, ptr, len);
    copy[len] = 0;
    release(val);
    val->kind = kind;
    val->flags = HL_VAL_FLAG_OWNED;
    if (kind == HL_VAL_STRING) {
      val->of.string.ptr = reinterpret_cast<const char *>(copy);
      val->of.string.len = len;
    } else {
      val->of.bytes.ptr = copy;
      val->of.bytes.len = len;
    }
  });
}

}  // namespace

extern "C" {

HL_API hl_error_t *hl_val_set_string(hl_val_t *val, const char *ptr, size_t len) {
  return set_owned(val, HL_VAL_STRING, ptr, len, "hl_val_set_string: val is NULL, or ptr is NULL with len > 0");
}

HL_API hl_error_t *hl_val_set_bytes(hl_val_t *val, const uint8_t *ptr, size_t len) {
  return set_owned(val, HL_VAL_BYTES, ptr, len, "hl_val_set_bytes: val is NULL, or ptr is NULL with len > 0");
}

HL_API void hl_val_release(hl_val_t *val) {
  if (val != nullptr) release(val);
}

}  // extern "C"
