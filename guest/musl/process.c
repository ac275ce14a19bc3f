/* The process: a guest is not one. exit() cannot end a call successfully
 * (there is no process to end, and the host waits for a result), so it ends
 * the sandbox like abort(), with its own code and the status in the message:
 * "guest aborted with code 1005: exit(3) called". atexit handlers do not
 * run; stdout is flushed first, as exit() does. There is no command
 * processor for system(). A failed assert aborts as in SDK guests. musl's
 * versions make the exit_group, kill and fork-like system calls. */
#include <errno.h>
#include <stdlib.h>

#include "runtime.h"

_Noreturn void exit(int status) {
  hlg__flush_stdio();
  hlg_abortf(HLG_ABORT_EXIT, "exit(%d) called", status);
}

_Noreturn void _Exit(int status) { hlg_abortf(HLG_ABORT_EXIT, "_Exit(%d) called", status); }

int system(const char *command) {
  if (!command) return 0; /* no command processor */
  errno = ENOSYS;
  return -1;
}

_Noreturn void __assert_fail(const char *expr, const char *file, int line, const char *func) {
  hlg_abortf(HLG_ABORT_ASSERTION, "assertion failed: %s (%s:%d, in %s)", expr, file, line, func);
}
