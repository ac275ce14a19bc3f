// Conversions between values (hl_val_t, as hl::Val) and the wire's hl_wire_val.
#pragma once

#include "abi/hl_wire.h"
#include "common/api_types.h"

namespace hl {

// Wire kinds and value kinds share their numbers (asserted in values.cpp).
constexpr uint8_t wire_kind(ValKind kind) { return static_cast<uint8_t>(kind); }
constexpr ValKind val_kind(uint8_t wire_kind) { return static_cast<ValKind>(wire_kind); }

// "i32", "string", ... for messages.
const char *kind_name(uint8_t kind);
inline const char *kind_name(ValKind kind) { return kind_name(wire_kind(kind)); }
bool is_valid_kind(uint8_t kind);
inline bool is_valid_kind(ValKind kind) { return is_valid_kind(wire_kind(kind)); }

// A caller's argument to the wire form (borrows its memory). what prefixes
// error messages ("" for none). Throws
// Error(HL_ERROR_INVALID_ARGUMENT / HL_ERROR_TOO_LARGE) naming `what`.
hl_wire_val to_wire(const Val &v, const char *what);

// A decoded wire value to hl_val_t. With copy=true, strings/bytes are copied
// into malloc'd memory owned by the result (HL_VAL_FLAG_OWNED, NUL-terminated);
// otherwise they borrow the wire buffer.
Val from_wire(const hl_wire_val &v, bool copy);

// Frees what v owns and sets it to void (hl_val_release).
void release_value(Val *v);

}  // namespace hl
