/* Locales. A guest has the "C" locale only. musl finds the current locale
 * through the thread descriptor (%fs:0), so every function that consults it
 * is replaced by its C-locale form here, and setlocale accepts "C" (and
 * "POSIX" and "", which mean it here) but loads nothing. strerror and
 * strftime share their object with the functions that take a locale
 * argument, which these call: the link wraps them (--wrap=strerror,
 * --wrap=strftime; guest/musl/CMakeLists.txt). */
#include <errno.h>
#include <locale.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "locale_impl.h"

char *setlocale(int category, const char *name) {
  static char c_name[] = "C";
  if (category < 0 || category > LC_ALL) return 0;
  if (name && *name && strcmp(name, "C") != 0 && strcmp(name, "POSIX") != 0) return 0;
  return c_name;
}

int strcoll(const char *a, const char *b) { return strcmp(a, b); }

/* The C locale's multibyte encoding is musl's: one byte per character,
 * bytes 0x80-0xff standing for the code units 0xdf80-0xdfff. */
size_t wcrtomb(char *restrict s, wchar_t wc, mbstate_t *restrict state) {
  (void)state;
  if (!s) return 1;
  if ((unsigned)wc < 0x80 || (unsigned)wc - 0xdf80 < 0x80) {
    *s = (char)wc;
    return 1;
  }
  errno = EILSEQ;
  return (size_t)-1;
}

char *__wrap_strerror(int code) { return strerror_l(code, C_LOCALE); }

size_t __wrap_strftime(char *restrict s, size_t n, const char *restrict format, const struct tm *restrict tm) {
  return strftime_l(s, n, format, tm, C_LOCALE);
}
