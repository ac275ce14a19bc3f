// The checks every way of registering a host function shares (hl_register,
// hl_host_functions_add): the name and the kinds, turned into the
// sandbox's types.
#pragma once

#include <string>
#include <vector>

#include "common/api_types.h"
#include "hyperlight.h"

namespace hl {

struct HostFunctionSignature {
  std::string name;
  std::vector<ValKind> params;
  ValKind result;
};

// Throws Error(HL_ERROR_INVALID_ARGUMENT) naming entry (the C function
// called) and what is wrong: a name that is NULL, empty or over 255 bytes,
// more than 32 parameters, NULL param_kinds with nparams > 0, an unknown
// kind, or HL_VAL_VOID as a parameter.
HostFunctionSignature check_host_function_signature(const char *entry, const char *name,
                                                    const hl_val_kind_t *param_kinds, size_t nparams,
                                                    hl_val_kind_t return_kind);

}  // namespace hl
