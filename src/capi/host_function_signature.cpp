#include "capi/host_function_signature.h"

#include <cstring>

#include "capi/api_conversions.h"
#include "common/error.h"
#include "protocol/values.h"

namespace hl {

HostFunctionSignature check_host_function_signature(const char *entry, const char *name,
                                                    const hl_val_kind_t *param_kinds, size_t nparams,
                                                    hl_val_kind_t return_kind) {
  if (name == nullptr || name[0] == '\0' || std::strlen(name) > HL_WIRE_MAX_NAME)
    throw Error(ErrorCode::kInvalidArgument, format("%s: name must be 1 to 255 bytes", entry));
  if (nparams > HL_WIRE_MAX_ARGS)
    throw Error(ErrorCode::kInvalidArgument, format("%s('%s'): at most 32 parameters, got %zu", entry, name, nparams));
  if (param_kinds == nullptr && nparams != 0)
    throw Error(ErrorCode::kInvalidArgument, format("%s('%s'): param_kinds is NULL", entry, name));
  HostFunctionSignature sig{name, {}, ValKind::kVoid};
  for (size_t i = 0; i < nparams; i++) {
    if (param_kinds[i] == HL_VAL_VOID || !is_valid_kind(param_kinds[i]))
      throw Error(ErrorCode::kInvalidArgument,
                  format("%s('%s'): parameter %zu has invalid kind %u", entry, name, i, param_kinds[i]));
    sig.params.push_back(from_c(param_kinds[i]));
  }
  if (!is_valid_kind(return_kind))
    throw Error(ErrorCode::kInvalidArgument, format("%s('%s'): invalid return kind %u", entry, name, return_kind));
  sig.result = from_c(return_kind);
  return sig;
}

}  // namespace hl
