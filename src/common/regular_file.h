// Opening a file the library reads (guest ELF, snapshot, file to map)
// without ever blocking on what the path turns out to be.
#pragma once

#include <sys/stat.h>

#include "common/unique_fd.h"

namespace hl {

// Opens path read-only and fills *st. Anything but a regular file (a FIFO,
// device, directory, socket) fails with HL_ERROR_IO, "<who>: '<path>' is a
// FIFO; it must be a regular file", before anything is read: a plain open()
// of a FIFO would wait for a writer that may never come. Errors from open
// and fstat carry the errno. Reads on the returned descriptor block as usual.
UniqueFd open_regular_file(const char *who, const char *path, struct stat *st);

}  // namespace hl
