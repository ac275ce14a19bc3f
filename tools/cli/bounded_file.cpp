#include "bounded_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "unique_fd.h"

namespace hlcli {
namespace {

std::string display_name(const std::string &path) { return path == "-" ? "stdin" : "'" + path + "'"; }

[[noreturn]] void fail(const std::string &path, const std::string &why) {
  throw InputFileError("cannot read " + display_name(path) + ": " + why);
}

std::string too_large(size_t max_bytes) {
  return "it is larger than " + std::to_string(max_bytes) + " bytes, the most hyperlight accepts here";
}

}  // namespace

std::string read_bounded_file(const std::string &path, size_t max_bytes) {
  const bool is_stdin = path == "-";
  UniqueFd owned(is_stdin ? -1 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  const int fd = is_stdin ? STDIN_FILENO : owned.get();
  if (fd < 0) fail(path, std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) fail(path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail(path, "it is a directory");
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) fail(path, too_large(max_bytes));
  std::string data;
  char chunk[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, std::strerror(errno));
    if (n == 0) break;
    if (static_cast<size_t>(n) > max_bytes - data.size()) fail(path, too_large(max_bytes));
    data.append(chunk, static_cast<size_t>(n));
  }
  return data;
}

}  // namespace hlcli
