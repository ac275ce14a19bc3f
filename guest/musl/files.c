/* Files. A guest has no file system: opening, removing and renaming fail
 * with ENOENT (no such file), as for a path that does not exist, and there
 * is no name for a temporary file. musl's versions make open, unlink,
 * rename and lstat system calls. */
#include <errno.h>
#include <stdio.h>

FILE *fopen(const char *restrict path, const char *restrict mode) {
  (void)path;
  (void)mode;
  errno = ENOENT;
  return 0;
}

/* C: a failed freopen closes the stream; the standard ones are never really
 * open, so there is nothing to close. */
FILE *freopen(const char *restrict path, const char *restrict mode, FILE *restrict f) {
  (void)path;
  (void)mode;
  (void)f;
  errno = ENOENT;
  return 0;
}

int remove(const char *path) {
  (void)path;
  errno = ENOENT;
  return -1;
}

int rename(const char *from, const char *to) {
  (void)from;
  (void)to;
  errno = ENOENT;
  return -1;
}

char *tmpnam(char *buf) {
  (void)buf;
  return 0;
}
