#include "capi/typed_signature.h"

#include "capi/api_conversions.h"
#include "common/error.h"
#include "protocol/values.h"

namespace hl {
namespace {

// hl_bytes_t by value. Size and alignment are set here, so ffi_prep_cif
// never writes to this shared object (it lays out only aggregates whose
// size is still 0) and threads may prepare signatures at once.
ffi_type *bytes_elements[] = {&ffi_type_pointer, &ffi_type_uint64, nullptr};
ffi_type bytes_type = {sizeof(hl_bytes_t), alignof(hl_bytes_t), FFI_TYPE_STRUCT, bytes_elements};
static_assert(sizeof(size_t) == sizeof(uint64_t));

ffi_type *ffi_type_of(ValKind kind) {
  switch (kind) {
    case ValKind::kVoid: return &ffi_type_void;
    case ValKind::kI32: return &ffi_type_sint32;
    case ValKind::kU32: return &ffi_type_uint32;
    case ValKind::kI64: return &ffi_type_sint64;
    case ValKind::kU64: return &ffi_type_uint64;
    case ValKind::kF32: return &ffi_type_float;
    case ValKind::kF64: return &ffi_type_double;
    case ValKind::kBool: return &ffi_type_uint8;
    case ValKind::kString: return &ffi_type_pointer;
    case ValKind::kBytes: return &bytes_type;
  }
  throw Error(ErrorCode::kInternal, "ffi_type_of: unknown kind");
}

}  // namespace

TypedSignature::TypedSignature(const char *entry, const char *name, const hl_val_kind_t *param_kinds, size_t nparams,
                               hl_val_kind_t result_kind, size_t leading_pointers) {
  if (nparams > HL_WIRE_MAX_ARGS)
    throw Error(ErrorCode::kInvalidArgument,
                format("%s('%s'): %zu parameters, at most %u are allowed", entry, name, nparams, HL_WIRE_MAX_ARGS));
  if (param_kinds == nullptr && nparams != 0)
    throw Error(ErrorCode::kInvalidArgument,
                format("%s('%s'): param_kinds is NULL but nparams is %zu", entry, name, nparams));
  for (size_t i = 0; i < nparams; i++) {
    if (param_kinds[i] == HL_VAL_VOID || !is_valid_kind(param_kinds[i]))
      throw Error(
          ErrorCode::kInvalidArgument,
          format("%s('%s'): parameter %zu has kind %u; a parameter is one of HL_VAL_I32 .. HL_VAL_BYTES (1 to 9)",
                 entry, name, i, param_kinds[i]));
    params_.push_back(from_c(param_kinds[i]));
  }
  if (!is_valid_kind(result_kind))
    throw Error(ErrorCode::kInvalidArgument,
                format("%s('%s'): result kind %u is not one of HL_VAL_VOID .. HL_VAL_BYTES (0 to 9)", entry, name,
                       result_kind));
  result_ = from_c(result_kind);

  size_t n = 0;
  for (size_t i = 0; i < leading_pointers; i++) c_params_[n++] = &ffi_type_pointer;
  for (ValKind kind : params_) {
    if (kind == ValKind::kBytes) {  // pointer and length
      c_params_[n++] = &ffi_type_pointer;
      c_params_[n++] = &ffi_type_uint64;
    } else {
      c_params_[n++] = ffi_type_of(kind);
    }
  }
  ffi_status status =
      ffi_prep_cif(&cif_, FFI_DEFAULT_ABI, static_cast<unsigned>(n), ffi_type_of(result_), c_params_.data());
  if (status != FFI_OK)
    throw Error(ErrorCode::kInvalidArgument,
                format("%s('%s'): libffi cannot describe this signature (ffi_prep_cif returned %d)", entry, name,
                       static_cast<int>(status)));
}

}  // namespace hl
