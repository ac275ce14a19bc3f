#include "capi/error_object.h"

#include <new>

namespace hl {
namespace {

hl_error_t *out_of_memory_error() {
  static hl_error_t error{HL_ERROR_OUT_OF_MEMORY, "out of memory"};
  return &error;
}

}  // namespace

hl_error_t *make_error(hl_error_code_t code, const char *message) noexcept {
  try {
    return new hl_error{code, message != nullptr ? message : ""};
  } catch (...) {
    return out_of_memory_error();
  }
}

void delete_error(hl_error_t *error) noexcept {
  if (error != out_of_memory_error()) delete error;
}

}  // namespace hl
