// Files the CLI reads itself (@FILE arguments, --init-data): read whole,
// but never more than a bound, so a huge file or an endless pipe cannot
// exhaust memory.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace hlcli {

// A file could not be read, or is larger than allowed; the message names
// the file and the reason.
class InputFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The contents of path ("-" for stdin), at most max_bytes. Throws
// InputFileError.
std::string read_bounded_file(const std::string &path, size_t max_bytes);

}  // namespace hlcli
