#include "protocol/values.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "common/error.h"

namespace hl {

static_assert(HL_WIRE_I32 == HL_VAL_I32 && HL_WIRE_STRING == HL_VAL_STRING && HL_WIRE_BYTES == HL_VAL_BYTES &&
                  HL_WIRE_BOOL == HL_VAL_BOOL && HL_WIRE_VOID == HL_VAL_VOID && HL_WIRE_F64 == HL_VAL_F64,
              "wire kinds and ABI kinds share their numbers");

const char *kind_name(uint8_t kind) {
  static const char *const kNames[] = {"void", "i32", "u32", "i64", "u64", "f32", "f64", "bool", "string", "bytes"};
  return kind < HL_WIRE_KIND_COUNT ? kNames[kind] : "unknown";
}

bool is_valid_kind(uint8_t kind) { return kind < HL_WIRE_KIND_COUNT; }

hl_wire_val to_wire(const hl_val_t &v, const char *what) {
  // Messages start with "<what>: " unless what is empty (the caller adds context).
  const char *sep = what[0] != '\0' ? ": " : "";
  hl_wire_val w{};
  w.kind = v.kind;
  switch (v.kind) {
    case HL_VAL_I32:
    case HL_VAL_U32: w.of.u32 = v.of.u32; break;
    case HL_VAL_I64:
    case HL_VAL_U64: w.of.u64 = v.of.u64; break;
    case HL_VAL_F32: w.of.f32 = v.of.f32; break;
    case HL_VAL_F64: w.of.f64 = v.of.f64; break;
    case HL_VAL_BOOL:
      if (v.of.boolean > 1) throw Error(HL_ERROR_INVALID_ARGUMENT, format("%s%sbool must be 0 or 1", what, sep));
      w.of.boolean = v.of.boolean;
      break;
    case HL_VAL_STRING:
    case HL_VAL_BYTES: {
      const void *ptr = v.kind == HL_VAL_STRING ? static_cast<const void *>(v.of.string.ptr) : v.of.bytes.ptr;
      size_t len = v.kind == HL_VAL_STRING ? v.of.string.len : v.of.bytes.len;
      if (ptr == nullptr && len != 0)
        throw Error(HL_ERROR_INVALID_ARGUMENT,
                    format("%s%sNULL %s with length %zu", what, sep, kind_name(v.kind), len));
      if (len > UINT32_MAX)
        throw Error(HL_ERROR_TOO_LARGE, format("%s%s%s of %zu bytes exceeds 4 GiB", what, sep, kind_name(v.kind), len));
      w.of.buf.ptr = static_cast<const uint8_t *>(ptr);
      w.of.buf.len = static_cast<uint32_t>(len);
      break;
    }
    case HL_VAL_VOID: throw Error(HL_ERROR_INVALID_ARGUMENT, format("%s%san argument cannot be void", what, sep));
    default: throw Error(HL_ERROR_INVALID_ARGUMENT, format("%s%sunknown value kind %u", what, sep, v.kind));
  }
  return w;
}

hl_val_t from_wire(const hl_wire_val &w, bool copy) {
  hl_val_t v{};
  v.kind = w.kind;
  switch (w.kind) {
    case HL_WIRE_STRING:
    case HL_WIRE_BYTES: {
      const uint8_t *ptr = w.of.buf.ptr;
      if (copy) {
        auto *owned = static_cast<uint8_t *>(std::malloc(size_t{w.of.buf.len} + 1));
        if (owned == nullptr) throw std::bad_alloc();
        if (w.of.buf.len != 0) std::memcpy(owned, w.of.buf.ptr, w.of.buf.len);
        owned[w.of.buf.len] = 0;
        ptr = owned;
        v.flags = HL_VAL_FLAG_OWNED;
      }
      if (w.kind == HL_WIRE_STRING) {
        v.of.string.ptr = reinterpret_cast<const char *>(ptr);
        v.of.string.len = w.of.buf.len;
      } else {
        v.of.bytes.ptr = ptr;
        v.of.bytes.len = w.of.buf.len;
      }
      break;
    }
    default: v.of.u64 = w.of.u64; break;
  }
  return v;
}

void release_value(hl_val_t *v) {
  if ((v->flags & HL_VAL_FLAG_OWNED) != 0) {
    if (v->kind == HL_VAL_STRING) std::free(const_cast<char *>(v->of.string.ptr));
    if (v->kind == HL_VAL_BYTES) std::free(const_cast<uint8_t *>(v->of.bytes.ptr));
  }
  *v = hl_val_t{};
}

}  // namespace hl
