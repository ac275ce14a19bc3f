/* Locks. A guest runs one thread, so musl's internal locks (LOCK, used by
 * the allocator-facing and locale code) and FILE locks have nothing to
 * exclude. musl's versions would read the thread id (%fs:0) and contain the
 * futex system call for contended locks; these do nothing. __lockfile
 * returns 0: there is nothing to unlock afterwards. */
#include <features.h> /* musl's, with "hidden" */

#include "lock.h"
#include "stdio_impl.h"

void __lock(volatile int *lock) { (void)lock; }
void __unlock(volatile int *lock) { (void)lock; }

int __lockfile(FILE *f) {
  (void)f;
  return 0;
}
void __unlockfile(FILE *f) { (void)f; }
