/* A guest on musl (hl_add_musl_guest): the C library a third-party engine
 * expects, with the runtime's replacements for what a guest cannot do
 * (system calls, the thread pointer). tests/integration/musl_guest_test.cpp
 * calls every function. */
#undef NDEBUG /* assert stays on in every build type */
#include <assert.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "hyperlight_guest.h"

/* stdout is line-buffered: "a", "b\n" and "c" reach the host as "ab\n" and,
 * when the call ends, "c". stderr goes the same way, unbuffered. */
static void print_pieces(const char *text) {
  printf("[%s", text);
  fputs("]\n", stdout);
  fprintf(stderr, "err:%d;", 7);
  printf("tail");
}
HLG_EXPORT_AS("PrintPieces", void, print_pieces, string);

static const char *format_double(double v) {
  return hlg_scratch_printf("%.17g %e %a %08.3f %5s|%-5d|%lc", v, v, v, v, "ab", 42, (wint_t)'x');
}
HLG_EXPORT_AS("FormatDouble", string, format_double, f64);

static double parse_double(const char *text) { return strtod(text, 0); }
HLG_EXPORT_AS("ParseDouble", f64, parse_double, string);

static double math_mix(double x) { return sin(x) * sin(x) + cos(x) * cos(x) + log(exp(x)) + pow(2, 10) + sqrt(x * x); }
HLG_EXPORT_AS("MathMix", f64, math_mix, f64);

static int compare_words(const void *a, const void *b) { return strcoll(*(char *const *)a, *(char *const *)b); }

/* Sorts the space-separated words of text. */
static const char *sort_words(const char *text) {
  char *copy = hlg_scratch_strdup(text);
  char *words[64];
  size_t n = 0;
  for (char *w = strtok(copy, " "); w && n < 64; w = strtok(0, " ")) words[n++] = w;
  qsort(words, n, sizeof words[0], compare_words);
  char *out = hlg_scratch_alloc(strlen(text) + 1);
  out[0] = 0;
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(out, " ");
    strcat(out, words[i]);
  }
  return out;
}
HLG_EXPORT_AS("SortWords", string, sort_words, string);

static jmp_buf g_jump;
static void jump_back(int32_t v) { longjmp(g_jump, v); }
static int32_t jump(int32_t v) {
  int r = setjmp(g_jump);
  if (r == 0) jump_back(v);
  return r;
}
HLG_EXPORT_AS("Jump", i32, jump, i32);

/* What a guest sees of files, time, locales and errno. */
static const char *environment(void) {
  errno = 0;
  FILE *f = fopen("/etc/passwd", "r");
  const char *open_error = strerror(errno);
  time_t now = time(0);
  struct tm tm;
  char date[64];
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %a %b", localtime_r(&now, &tm));
  int c = getchar();
  return hlg_scratch_printf("fopen=%s (%s); time=%lld; clock=%ld; date=%s; mktime=%lld; locale=%s/%s; getchar=%d",
                            f ? "opened" : "NULL", open_error, (long long)now, (long)clock(), date,
                            (long long)mktime(&tm), setlocale(LC_ALL, 0), setlocale(LC_ALL, "de_DE") ? "?" : "NULL", c);
}
HLG_EXPORT_AS("Environment", string, environment);

/* malloc returns NULL with ENOMEM when the heap cannot satisfy a request
 * (SDK guests abort instead), and the heap is intact afterwards. */
static const char *allocate(uint64_t size) {
  errno = 0;
  void *p = malloc(size);
  int e = errno;
  void *q = calloc(size, size); /* overflows for a large size */
  int e2 = errno;
  void *r = realloc(p, 64);
  const char *out = hlg_scratch_printf("%s %s %s %s %s", p ? "ok" : "NULL", e == ENOMEM ? "ENOMEM" : "-",
                                       q ? "ok" : "NULL", e2 == ENOMEM ? "ENOMEM" : "-", r ? "ok" : "NULL");
  free(r);
  free(q);
  return out;
}
HLG_EXPORT_AS("Allocate", string, allocate, u64);

static void exit_with(int32_t status) {
  printf("bye");
  exit(status);
}
HLG_EXPORT_AS("Exit", void, exit_with, i32);

static void check(bool ok) {
  assert(ok);
  (void)ok;
}
HLG_EXPORT_AS("Assert", void, check, bool);
