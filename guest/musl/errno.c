/* errno. musl keeps it in the thread descriptor (%fs:0); a guest has one
 * thread and no thread pointer, so it is a plain variable. musl's own code
 * reaches it through ___errno_location, everyone else's through
 * __errno_location (<errno.h>). */
#include <errno.h>

static int g_errno;

int *__errno_location(void) { return &g_errno; }
weak_alias(__errno_location, ___errno_location);
