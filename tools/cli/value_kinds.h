// The names the CLI gives hyperlight's value kinds (HL_VAL_*), as typed in
// explicit arguments ("i64:5") and printed by inspect.
#pragma once

#include <optional>
#include <string_view>

#include "hyperlight.h"

namespace hlcli {

// "void", "i32", ... "bytes"; "unknown" for a kind this tool does not know.
const char *kind_name(hl_val_kind_t kind);

// The kind named exactly so (lower case); never HL_VAL_VOID, which no
// argument can have.
std::optional<hl_val_kind_t> argument_kind_named(std::string_view name);

}  // namespace hlcli
