// hl_error_* and hl_version*.
#include "capi/shim.h"

extern "C" {

HL_API uint32_t hl_version(void) { return HL_VERSION; }

HL_API const char *hl_version_string(void) { return HL_VERSION_STRING; }

HL_API hl_error_code_t hl_error_code(const hl_error_t *error) {
  return error != nullptr ? error->code : HL_ERROR_INVALID_ARGUMENT;
}

HL_API const char *hl_error_message(const hl_error_t *error) { return error != nullptr ? error->message.c_str() : ""; }

HL_API hl_error_t *hl_error_new(const char *message) { return hl::make_error(HL_ERROR_HOST_FUNCTION_FAILED, message); }

HL_API void hl_error_delete(hl_error_t *error) { hl::delete_error(error); }

}  // extern "C"
