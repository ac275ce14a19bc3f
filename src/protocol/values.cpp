#include "protocol/values.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "common/error.h"

namespace hl {

static_assert(HL_WIRE_VOID == wire_kind(ValKind::kVoid) && HL_WIRE_I32 == wire_kind(ValKind::kI32) &&
                  HL_WIRE_U32 == wire_kind(ValKind::kU32) && HL_WIRE_I64 == wire_kind(ValKind::kI64) &&
                  HL_WIRE_U64 == wire_kind(ValKind::kU64) && HL_WIRE_F32 == wire_kind(ValKind::kF32) &&
                  HL_WIRE_F64 == wire_kind(ValKind::kF64) && HL_WIRE_BOOL == wire_kind(ValKind::kBool) &&
                  HL_WIRE_STRING == wire_kind(ValKind::kString) && HL_WIRE_BYTES == wire_kind(ValKind::kBytes) &&
                  HL_WIRE_KIND_COUNT == 10,
              "wire kinds and value kinds share their numbers");

const char *kind_name(uint8_t kind) {
  static const char *const kNames[] = {"void", "i32", "u32", "i64", "u64", "f32", "f64", "bool", "string", "bytes"};
  return kind < HL_WIRE_KIND_COUNT ? kNames[kind] : "unknown";
}

bool is_valid_kind(uint8_t kind) { return kind < HL_WIRE_KIND_COUNT; }

hl_wire_val to_wire(const Val &v, const char *what) {
  // Messages start with "<what>: " unless what is empty (the caller adds context).
  const char *sep = what[0] != '\0' ? ": " : "";
  hl_wire_val w{};
  w.kind = wire_kind(v.kind);
  switch (v.kind) {
    case ValKind::kI32:
    case ValKind::kU32: w.of.u32 = v.of.u32; break;
    case ValKind::kI64:
    case ValKind::kU64: w.of.u64 = v.of.u64; break;
    case ValKind::kF32: w.of.f32 = v.of.f32; break;
    case ValKind::kF64: w.of.f64 = v.of.f64; break;
    case ValKind::kBool:
      if (v.of.boolean > 1) throw Error(ErrorCode::kInvalidArgument, format("%s%sbool must be 0 or 1", what, sep));
      w.of.boolean = v.of.boolean;
      break;
    case ValKind::kString:
    case ValKind::kBytes: {
      const void *ptr = v.kind == ValKind::kString ? static_cast<const void *>(v.of.string.ptr) : v.of.bytes.ptr;
      size_t len = v.kind == ValKind::kString ? v.of.string.len : v.of.bytes.len;
      if (ptr == nullptr && len != 0)
        throw Error(ErrorCode::kInvalidArgument,
                    format("%s%sNULL %s with length %zu", what, sep, kind_name(v.kind), len));
      if (len > UINT32_MAX)
        throw Error(ErrorCode::kTooLarge,
                    format("%s%s%s of %zu bytes exceeds 4 GiB", what, sep, kind_name(v.kind), len));
      w.of.buf.ptr = static_cast<const uint8_t *>(ptr);
      w.of.buf.len = static_cast<uint32_t>(len);
      break;
    }
    case ValKind::kVoid: throw Error(ErrorCode::kInvalidArgument, format("%s%san argument cannot be void", what, sep));
    default:
      throw Error(ErrorCode::kInvalidArgument, format("%s%sunknown value kind %u", what, sep, wire_kind(v.kind)));
  }
  return w;
}

Val from_wire(const hl_wire_val &w, bool copy) {
  Val v{};
  v.kind = val_kind(w.kind);
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
        v.flags = ValFlag::kOwned;
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

void release_value(Val *v) {
  if ((v->flags & ValFlag::kOwned) != 0) {
    if (v->kind == ValKind::kString) std::free(const_cast<char *>(v->of.string.ptr));
    if (v->kind == ValKind::kBytes) std::free(const_cast<uint8_t *>(v->of.bytes.ptr));
  }
  *v = Val{};
}

}  // namespace hl
