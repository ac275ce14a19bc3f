// Names of hyperlight's error codes and what a CLI user can do about each.
#pragma once

#include <string>

#include "hyperlight.h"

namespace hlcli {

// "HL_ERROR_TIMEOUT"; "HL_ERROR_<n>" for a code newer than this tool.
std::string error_code_name(hl_error_code_t code);

// What to do next, in terms of the CLI's options; "" when the library's
// message says all there is.
const char *error_hint(hl_error_code_t code);

}  // namespace hlcli
