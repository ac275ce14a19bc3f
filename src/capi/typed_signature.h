// A C function signature described by value kinds (docs/typed-functions.md),
// checked and prepared for libffi once, then used for every call: by typed
// host functions (hyperlight calls the user's C function) and by guest
// function pointers (the user calls a libffi closure).
#pragma once

#include <ffi.h>

#include <array>
#include <cstddef>
#include <vector>

#include "abi/hl_wire.h"
#include "common/api_types.h"
#include "hyperlight.h"

namespace hl {

// user_data and error, then every kind as one C parameter, except bytes as two.
inline constexpr size_t kMaxLeadingParams = 2;
inline constexpr size_t kMaxCParams = kMaxLeadingParams + 2 * HL_WIRE_MAX_ARGS;

class TypedSignature {
 public:
  // leading_pointers: how many pointer parameters come before the values
  // (user_data, error). Throws Error(INVALID_ARGUMENT) with a message that
  // starts "<entry>('<name>'): " for a kind that is not an HL_VAL_* value
  // (or HL_VAL_VOID as a parameter), NULL param_kinds with nparams > 0, or
  // more than HL_WIRE_MAX_ARGS parameters.
  TypedSignature(const char *entry, const char *name, const hl_val_kind_t *param_kinds, size_t nparams,
                 hl_val_kind_t result_kind, size_t leading_pointers);
  // The cif points into this object: it stays where it was built.
  TypedSignature(const TypedSignature &) = delete;
  TypedSignature &operator=(const TypedSignature &) = delete;

  const std::vector<ValKind> &params() const { return params_; }
  ValKind result() const { return result_; }
  ffi_cif *cif() { return &cif_; }

 private:
  std::vector<ValKind> params_;
  ValKind result_;
  std::array<ffi_type *, kMaxCParams> c_params_{};
  ffi_cif cif_{};
};

// Where libffi puts a result (ffi_call), or where a closure leaves one: at
// least one ffi_arg (small integers are widened to it), and room for
// hl_bytes_t.
union TypedReturn {
  ffi_arg unsigned_int;
  ffi_sarg signed_int;
  float f32;
  double f64;
  const void *pointer;
  hl_bytes_t bytes;
};

}  // namespace hl
