// The object behind the C ABI's opaque hl_error_t.
#pragma once

#include <string>

#include "hyperlight.h"

struct hl_error {
  hl_error_code_t code;
  std::string message;
};

namespace hl {

// Never fails: when memory is exhausted it returns a static out-of-memory
// error that hl_error_delete() knows not to free.
hl_error_t *make_error(hl_error_code_t code, const char *message) noexcept;
void delete_error(hl_error_t *error) noexcept;

}  // namespace hl
