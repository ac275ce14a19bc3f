// Call arguments as typed on the command line, made into values for
// hl_call: "40" for an i32 parameter, or with an explicit kind "i64:5",
// "f32:1.5", "bool:true", "string:text", "bytes:00ff", and "@FILE" (or "@-"
// for stdin) for strings and bytes (docs/cli.md).
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "hyperlight.h"

namespace hlcli {

// The text does not make a value of the kind; the message says what would.
class ArgumentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An argument that names its kind ("i64:5" -> i64, "5") and one that does
// not ("5" -> none, "5"). Only the nine kind names count: "http://x" has none.
struct KindedText {
  std::optional<hl_val_kind_t> kind;
  std::string_view text;
};
KindedText split_explicit_kind(std::string_view argument);

// A value ready for hl_call. A string's or bytes' payload lives in buffer.
struct CallArgument {
  hl_val_kind_t kind = HL_VAL_VOID;
  hl_val_t scalar{};   // numbers and bool
  std::string buffer;  // strings and bytes
  // Points into buffer: valid while this CallArgument lives unchanged.
  hl_val_t as_val() const;
};

// Reads a file named by "@path" ("-" for stdin); throws ArgumentError.
using FileReader = std::function<std::string(const std::string &path)>;

// Makes text (without its kind prefix) into a value of kind. For strings
// and bytes "@path" reads a file through read_file, and "@@..." stands for
// the text "@...". Throws ArgumentError.
CallArgument convert_argument(hl_val_kind_t kind, std::string_view text, const FileReader &read_file);

// What text convert_argument accepts for kind, for messages and --help.
const char *expected_text(hl_val_kind_t kind);

}  // namespace hlcli
