/* hyperlight guest libc: <stdio.h>.
 *
 * Formatting supports %d %i %u %o %x %X %p %s %c %f %F %e %E %g %G %n %%
 * with the flags - 0 + space #, width and precision (also `*`) and the
 * length modifiers hh h l ll z j t L. Floating-point output is exact
 * (correctly rounded, like glibc), including nan, inf and -0.
 *
 * printf/puts/putchar and stdout/stderr go to the host's standard output
 * through hlg_print: unbuffered, one VM exit per call (or per 1 KiB). */
#ifndef HYPERLIGHT_GUEST_STDIO_H
#define HYPERLIGHT_GUEST_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EOF (-1)

typedef struct hlg_file FILE;
extern FILE *const stdout;
extern FILE *const stderr;

int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* Unbounded: prefer snprintf. */
int sprintf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vsprintf(char *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int puts(const char *s);
int fputs(const char *s, FILE *f);
int putchar(int c);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
size_t fwrite(const void *ptr, size_t size, size_t count, FILE *f);
int fflush(FILE *f);

#ifdef __cplusplus
}
#endif

#endif
