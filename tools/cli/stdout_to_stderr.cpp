#include "stdout_to_stderr.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace hlcli {

StdoutToStderr::StdoutToStderr() {
  std::fflush(stdout);
  saved_stdout_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (saved_stdout_ < 0) return;  // then guest output stays on stdout: not worth failing the run for
  if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    ::close(saved_stdout_);
    saved_stdout_ = -1;
  }
}

StdoutToStderr::~StdoutToStderr() {
  if (saved_stdout_ < 0) return;
  std::fflush(stdout);
  ::dup2(saved_stdout_, STDOUT_FILENO);
  ::close(saved_stdout_);
}

}  // namespace hlcli
