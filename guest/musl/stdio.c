/* The standard streams. musl's stdio (buffering, printf formatting, fwrite
 * & co.) is kept whole; only the functions at the bottom that move bytes
 * are replaced, since musl's make the writev/readv/lseek/close system calls
 * and ioctl(TIOCGWINSZ):
 *
 * - stdout and stderr write to the host's print path (hlg_print_n).
 *   stdout stays line-buffered (musl's default for a terminal), stderr
 *   unbuffered; whatever is held back is flushed when a call or the
 *   initialisation ends (hlg__flush_stdio), before its result is sent.
 * - stdin is empty: reads see end of file.
 * - Seeking fails with ESPIPE, closing succeeds.
 *
 * musl's getc, putc and friends check the FILE lock's owner against the
 * thread id (%fs:0); with one thread the unlocked forms are the same. */
#include <errno.h>
#include <string.h>

#include "runtime.h"
#include "stdio_impl.h"

/* Writes what f holds, then buf: as one message when buf fits behind it
 * (a line completed by fputs reaches the host whole). */
size_t __stdio_write(FILE *f, const unsigned char *buf, size_t len) {
  size_t held = (size_t)(f->wpos - f->wbase), rest = len;
  if (held && rest <= (size_t)(f->wend - f->wpos)) {
    memcpy(f->wpos, buf, rest);
    held += rest;
    rest = 0;
  }
  if (held) hlg_print_n((const char *)f->wbase, held);
  if (rest) hlg_print_n((const char *)buf, rest);
  f->wend = f->buf + f->buf_size;
  f->wpos = f->wbase = f->buf;
  return len;
}

size_t __stdout_write(FILE *f, const unsigned char *buf, size_t len) { return __stdio_write(f, buf, len); }

size_t __stdio_read(FILE *f, unsigned char *buf, size_t len) {
  (void)buf;
  (void)len;
  f->flags |= F_EOF;
  return 0;
}

off_t __stdio_seek(FILE *f, off_t offset, int whence) {
  (void)f;
  (void)offset;
  (void)whence;
  errno = ESPIPE;
  return -1;
}

int __stdio_close(FILE *f) {
  (void)f;
  return 0;
}

void hlg__flush_stdio(void) { fflush(0); /* every stream the guest has used */ }

int getc(FILE *f) { return getc_unlocked(f); }
int fgetc(FILE *f) { return getc_unlocked(f); }
int getchar(void) { return getc_unlocked(stdin); }
int putc(int c, FILE *f) { return putc_unlocked(c, f); }
int fputc(int c, FILE *f) { return putc_unlocked(c, f); }
int putchar(int c) { return putc_unlocked(c, stdout); }
