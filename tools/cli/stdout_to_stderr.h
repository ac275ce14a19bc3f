// While alive, file descriptor 1 is the process's stderr: what a guest
// prints (the library writes it to stdout) then cannot mix with --json
// output, which goes to the real stdout afterwards.
#pragma once

namespace hlcli {

class StdoutToStderr {
 public:
  StdoutToStderr();
  ~StdoutToStderr();
  StdoutToStderr(const StdoutToStderr &) = delete;
  StdoutToStderr &operator=(const StdoutToStderr &) = delete;

 private:
  int saved_stdout_ = -1;  // -1: nothing was redirected
};

}  // namespace hlcli
