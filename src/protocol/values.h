// Conversions between the C ABI's hl_val_t and the wire's hl_wire_val.
#pragma once

#include "abi/hl_wire.h"
#include "hyperlight.h"

namespace hl {

// "i32", "string", ... for messages.
const char *kind_name(uint8_t kind);
bool is_valid_kind(uint8_t kind);

// A caller's argument to the wire form (borrows its memory). what prefixes
// error messages ("" for none). Throws
// Error(HL_ERROR_INVALID_ARGUMENT / HL_ERROR_TOO_LARGE) naming `what`.
hl_wire_val to_wire(const hl_val_t &v, const char *what);

// A decoded wire value to hl_val_t. With copy=true, strings/bytes are copied
// into malloc'd memory owned by the result (HL_VAL_FLAG_OWNED, NUL-terminated);
// otherwise they borrow the wire buffer.
hl_val_t from_wire(const hl_wire_val &v, bool copy);

// Frees what v owns and sets it to void (hl_val_release).
void release_value(hl_val_t *v);

}  // namespace hl
