#include "common/regular_file.h"

#include <fcntl.h>

#include <cerrno>

#include "common/error.h"

namespace hl {
namespace {

const char *what_it_is(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void fail_errno(const char *who, const char *call, const char *path) {
  int err = errno;  // before anything else can change it
  throw Error(ErrorCode::kIo, errno_message(format("%s: %s('%s')", who, call, path).c_str(), err));
}

}  // namespace

UniqueFd open_regular_file(const char *who, const char *path, struct stat *st) {
  // O_NONBLOCK: open() of a FIFO returns at once instead of waiting for a
  // writer. O_NOCTTY: a terminal being refused must not become ours.
  UniqueFd fd(::open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) fail_errno(who, "open", path);
  if (::fstat(fd.get(), st) < 0) fail_errno(who, "stat", path);
  if (!S_ISREG(st->st_mode))
    throw Error(ErrorCode::kIo,
                format("%s: '%s' is %s; it must be a regular file", who, path, what_it_is(st->st_mode)));
  // Only open() needed it: callers' reads must block, not fail with EAGAIN.
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) < 0) fail_errno(who, "fcntl", path);
  return fd;
}

}  // namespace hl
