#include "common/error.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace hl {

std::string format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list copy;
  va_copy(copy, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, ap);
  va_end(ap);
  return out;
}

std::string errno_message(const char *what, int err) {
  char buf[128];
  const char *text = strerror_r(err, buf, sizeof buf);
  return format("%s failed: %s (errno %d)", what, text, err);
}

}  // namespace hl
