/* <stdio.h>: the printf family, formatting into a sink (a bounded buffer
 * for snprintf, a chunk flushed to the host for printf).
 *
 * Floating point is converted exactly: a double is mant * 2^exp, so its
 * decimal expansion is mant * 2^exp (exp >= 0) or mant * 5^-exp / 10^-exp
 * (exp < 0), an integer computed with a small base-1e9 bignum (at most 767
 * digits). Rounding then works on exact digits (round half to even, as
 * glibc does in the default rounding mode), so the output is correctly
 * rounded for every precision. No floating-point arithmetic is used. */
#include <stdio.h>

#include "runtime.h"

struct hlg_file {
  int unused;
};
static struct hlg_file g_stdout, g_stderr;
FILE *const stdout = &g_stdout;
FILE *const stderr = &g_stderr;

#define MAX_WIDTH 100000000 /* width and precision are clamped to this */

struct spec {
  int left, plus, space, alt, zero;
  int width;
  int prec; /* -1: none */
  char conv;
};

static void put(struct hlg__sink *s, char c) {
  s->total++;
  if (s->pos >= s->cap) {
    if (!s->flush) return;
    s->flush(s);
    if (s->pos >= s->cap) return;
  }
  s->buf[s->pos++] = c;
}

static void put_n(struct hlg__sink *s, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) put(s, p[i]);
}

static void put_repeat(struct hlg__sink *s, char c, long n) {
  for (; n > 0; n--) put(s, c);
}

/* Pads a field of `len` characters whose sign/prefix is `prefix`: the body
 * is written by the caller after pad_before, then pad_after. */
static void pad_before(struct hlg__sink *s, const struct spec *sp, const char *prefix, int prefix_len, long len,
                       int zero_ok) {
  long fill = sp->width > len ? sp->width - len : 0;
  if (!sp->left && !(sp->zero && zero_ok)) put_repeat(s, ' ', fill);
  put_n(s, prefix, (size_t)prefix_len);
  if (!sp->left && sp->zero && zero_ok) put_repeat(s, '0', fill);
}

static void pad_after(struct hlg__sink *s, const struct spec *sp, long len) {
  if (sp->left && sp->width > len) put_repeat(s, ' ', sp->width - len);
}

static void format_string(struct hlg__sink *s, const struct spec *sp, const char *text) {
  if (!text) text = sp->prec >= 0 && sp->prec < 6 ? "" : "(null)";
  size_t n = sp->prec >= 0 ? strnlen(text, (size_t)sp->prec) : strlen(text);
  pad_before(s, sp, "", 0, (long)n, 0);
  put_n(s, text, n);
  pad_after(s, sp, (long)n);
}

static void format_integer(struct hlg__sink *s, const struct spec *sp, uint64_t magnitude, int negative,
                           int is_signed) {
  char digits[24];
  int nd = 0;
  unsigned base = sp->conv == 'o' ? 8 : (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') ? 16 : 10;
  const char *xd = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  for (uint64_t v = magnitude; v; v /= base) digits[nd++] = xd[v % base];
  int prec = sp->prec < 0 ? 1 : sp->prec;
  long zeros = nd < prec ? prec - nd : 0;
  if (sp->alt && base == 8 && zeros == 0 && (nd == 0 || digits[nd - 1] != '0')) zeros = 1;
  char prefix[2] = {0, 0};
  int np = 0;
  if (is_signed) {
    if (negative)
      prefix[np++] = '-';
    else if (sp->plus)
      prefix[np++] = '+';
    else if (sp->space)
      prefix[np++] = ' ';
  }
  if (base == 16 && magnitude != 0 && (sp->alt || sp->conv == 'p')) {
    prefix[np++] = '0';
    prefix[np++] = sp->conv == 'X' ? 'X' : 'x';
  }
  long len = np + zeros + nd;
  pad_before(s, sp, prefix, np, len, sp->prec < 0);
  put_repeat(s, '0', zeros);
  while (nd) put(s, digits[--nd]);
  pad_after(s, sp, len);
}

/* ---- exact decimal expansion of a double ---- */

#define BIG_LIMBS 96
#define BIG_BASE 1000000000u
#define MAX_DIGITS 800

struct decimal {
  char buf[MAX_DIGITS + 1]; /* buf[0] is room for a carry */
  int start;                /* index of the first digit in buf */
  int len;                  /* digits */
  int point;                /* digits before the decimal point (may be <= 0 or > len) */
};

static void big_mul(uint32_t *limb, int *n, uint32_t m) {
  uint64_t carry = 0;
  for (int i = 0; i < *n; i++) {
    uint64_t t = (uint64_t)limb[i] * m + carry;
    limb[i] = (uint32_t)(t % BIG_BASE);
    carry = t / BIG_BASE;
  }
  while (carry && *n < BIG_LIMBS) {
    limb[(*n)++] = (uint32_t)(carry % BIG_BASE);
    carry /= BIG_BASE;
  }
}

/* The exact decimal digits of |v| (finite). Zero is "0" with point 1. */
static void to_decimal(uint64_t bits, struct decimal *x) {
  uint64_t frac = bits & ((1ull << 52) - 1);
  int biased = (int)((bits >> 52) & 0x7ff);
  x->start = 1;
  if (biased == 0 && frac == 0) {
    x->buf[1] = '0';
    x->len = 1;
    x->point = 1;
    return;
  }
  uint64_t mant = biased ? frac | (1ull << 52) : frac;
  int exp2 = biased ? biased - 1075 : -1074;
  while (!(mant & 1)) {
    mant >>= 1;
    exp2++;
  }
  uint32_t limb[BIG_LIMBS];
  int n = 0;
  for (; mant; mant /= BIG_BASE) limb[n++] = (uint32_t)(mant % BIG_BASE);
  int k = 0;
  if (exp2 > 0) {
    for (int e = exp2; e > 0; e -= 29) big_mul(limb, &n, 1u << (e < 29 ? e : 29));
  } else if (exp2 < 0) {
    k = -exp2;
    for (int e = k; e > 0; e -= 13) {
      uint32_t p = 1;
      for (int i = 0; i < (e < 13 ? e : 13); i++) p *= 5;
      big_mul(limb, &n, p);
    }
  }
  char *d = x->buf + 1;
  int len = 0;
  char tmp[9];
  int t = 0;
  for (uint32_t v = limb[n - 1]; v; v /= 10) tmp[t++] = (char)('0' + v % 10);
  while (t) d[len++] = tmp[--t];
  for (int i = n - 2; i >= 0; i--) {
    uint32_t v = limb[i];
    for (int j = 8; j >= 0; j--) {
      d[len + j] = (char)('0' + v % 10);
      v /= 10;
    }
    len += 9;
  }
  x->len = len;
  x->point = len - k;
}

static char digit_at(const struct decimal *x, long i) { return i >= 0 && i < x->len ? x->buf[x->start + i] : '0'; }

/* Keeps the first `keep` digits, rounding half to even on the exact rest. */
static void round_to(struct decimal *x, long keep) {
  if (keep >= x->len) return;
  char *d = x->buf + x->start;
  int up = 0;
  if (keep >= 0) {
    if (d[keep] > '5') {
      up = 1;
    } else if (d[keep] == '5') {
      for (long i = keep + 1; i < x->len && !up; i++) up = d[i] != '0';
      if (!up) up = keep > 0 && ((d[keep - 1] - '0') & 1);
    }
  }
  if (keep <= 0) {
    x->start = 1;
    x->len = 1;
    if (up) {
      x->buf[1] = '1';
      x->point += 1;
    } else {
      x->buf[1] = '0';
      x->point = 1;
    }
    return;
  }
  x->len = (int)keep;
  if (!up) return;
  long i = keep - 1;
  while (i >= 0 && d[i] == '9') d[i--] = '0';
  if (i >= 0) {
    d[i]++;
  } else {
    x->start--;
    x->buf[x->start] = '1';
    x->point++;
  }
}

static int is_zero(const struct decimal *x) { return x->len == 1 && x->buf[x->start] == '0'; }

/* Fraction digits to print when trailing zeros are dropped (%g without #). */
static long trim_fraction(const struct decimal *x, long first, long count) {
  long last_nonzero = x->len - first; /* digits from `first` on that exist */
  if (count > last_nonzero) count = last_nonzero > 0 ? last_nonzero : 0;
  while (count > 0 && digit_at(x, first + count - 1) == '0') count--;
  return count;
}

static void format_float(struct hlg__sink *s, const struct spec *sp, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  int negative = (int)(bits >> 63);
  char conv = sp->conv;
  int upper = conv == 'F' || conv == 'E' || conv == 'G';
  char sign[1] = {0};
  int ns = 0;
  if (negative)
    sign[ns++] = '-';
  else if (sp->plus)
    sign[ns++] = '+';
  else if (sp->space)
    sign[ns++] = ' ';

  if (((bits >> 52) & 0x7ff) == 0x7ff) {
    const char *text = (bits & ((1ull << 52) - 1)) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
    pad_before(s, sp, sign, ns, ns + 3, 0);
    put_n(s, text, 3);
    pad_after(s, sp, ns + 3);
    return;
  }

  struct decimal x;
  to_decimal(bits & ~(1ull << 63), &x);
  long prec = sp->prec < 0 ? 6 : sp->prec;
  int exp_style = conv == 'e' || conv == 'E';
  int point_always = sp->alt;
  if (conv == 'g' || conv == 'G') {
    long p = prec == 0 ? 1 : prec;
    round_to(&x, p);
    long exp10 = is_zero(&x) ? 0 : x.point - 1;
    if (exp10 < p && exp10 >= -4) {
      prec = p - 1 - exp10;
      if (!sp->alt) prec = trim_fraction(&x, x.point, prec);
    } else {
      exp_style = 1;
      prec = p - 1;
      if (!sp->alt) prec = trim_fraction(&x, 1, prec);
    }
  } else if (exp_style) {
    round_to(&x, prec + 1);
  } else {
    round_to(&x, x.point + prec);
  }

  int has_point = prec > 0 || point_always;
  long len;
  char exp_text[8];
  int ne = 0;
  if (exp_style) {
    long exp10 = is_zero(&x) ? 0 : x.point - 1;
    exp_text[ne++] = upper ? 'E' : 'e';
    exp_text[ne++] = exp10 < 0 ? '-' : '+';
    long a = exp10 < 0 ? -exp10 : exp10;
    char rev[6];
    int nr = 0;
    for (; a; a /= 10) rev[nr++] = (char)('0' + a % 10);
    while (nr < 2) rev[nr++] = '0';
    while (nr) exp_text[ne++] = rev[--nr];
    len = 1 + (has_point ? 1 + prec : 0) + ne;
  } else {
    len = (x.point > 0 ? x.point : 1) + (has_point ? 1 + prec : 0);
  }
  pad_before(s, sp, sign, ns, ns + len, 1);
  if (exp_style) {
    put(s, digit_at(&x, 0));
    if (has_point) put(s, '.');
    for (long i = 1; i <= prec; i++) put(s, digit_at(&x, i));
    put_n(s, exp_text, (size_t)ne);
  } else {
    if (x.point <= 0) put(s, '0');
    for (long i = 0; i < x.point; i++) put(s, digit_at(&x, i));
    if (has_point) put(s, '.');
    for (long i = 0; i < prec; i++) put(s, digit_at(&x, x.point + i));
  }
  pad_after(s, sp, ns + len);
}

/* ---- the format loop ---- */

enum { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T, LEN_BIG_L };

static int parse_number(const char **p) {
  long v = 0;
  while (**p >= '0' && **p <= '9') {
    if (v < MAX_WIDTH) v = v * 10 + (**p - '0');
    (*p)++;
  }
  return (int)(v > MAX_WIDTH ? MAX_WIDTH : v);
}

void hlg__format(struct hlg__sink *s, const char *fmt, va_list ap) {
  while (*fmt) {
    if (*fmt != '%') {
      put(s, *fmt++);
      continue;
    }
    const char *spec_start = fmt++;
    struct spec sp = {0, 0, 0, 0, 0, 0, -1, 0};
    for (;; fmt++) {
      if (*fmt == '-')
        sp.left = 1;
      else if (*fmt == '+')
        sp.plus = 1;
      else if (*fmt == ' ')
        sp.space = 1;
      else if (*fmt == '#')
        sp.alt = 1;
      else if (*fmt == '0')
        sp.zero = 1;
      else
        break;
    }
    if (*fmt == '*') {
      fmt++;
      int w = va_arg(ap, int);
      if (w < 0) {
        sp.left = 1;
        w = w == -__INT_MAX__ - 1 ? __INT_MAX__ : -w;
      }
      sp.width = w > MAX_WIDTH ? MAX_WIDTH : w;
    } else {
      sp.width = parse_number(&fmt);
    }
    if (*fmt == '.') {
      fmt++;
      if (*fmt == '*') {
        fmt++;
        int p = va_arg(ap, int);
        sp.prec = p < 0 ? -1 : p > MAX_WIDTH ? MAX_WIDTH : p;
      } else {
        sp.prec = parse_number(&fmt);
      }
    }
    int length = LEN_NONE;
    switch (*fmt) {
      case 'h':
        length = fmt[1] == 'h' ? LEN_HH : LEN_H;
        fmt += length == LEN_HH ? 2 : 1;
        break;
      case 'l':
        length = fmt[1] == 'l' ? LEN_LL : LEN_L;
        fmt += length == LEN_LL ? 2 : 1;
        break;
      case 'z': length = LEN_Z, fmt++; break;
      case 'j': length = LEN_J, fmt++; break;
      case 't': length = LEN_T, fmt++; break;
      case 'L': length = LEN_BIG_L, fmt++; break;
      default: break;
    }
    sp.conv = *fmt;
    if (!sp.conv) break; /* a lone '%' at the end prints nothing */
    fmt++;
    switch (sp.conv) {
      case '%': put(s, '%'); break;
      case 'c': {
        char c = (char)va_arg(ap, int);
        pad_before(s, &sp, "", 0, 1, 0);
        put(s, c);
        pad_after(s, &sp, 1);
        break;
      }
      case 's': format_string(s, &sp, va_arg(ap, const char *)); break;
      case 'd':
      case 'i': {
        int64_t v;
        switch (length) {
          case LEN_HH: v = (signed char)va_arg(ap, int); break;
          case LEN_H: v = (short)va_arg(ap, int); break;
          case LEN_L:
          case LEN_Z:
          case LEN_T: v = va_arg(ap, long); break;
          case LEN_LL:
          case LEN_J: v = va_arg(ap, long long); break;
          default: v = va_arg(ap, int); break;
        }
        format_integer(s, &sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, 1);
        break;
      }
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        uint64_t v;
        switch (length) {
          case LEN_HH: v = (unsigned char)va_arg(ap, unsigned); break;
          case LEN_H: v = (unsigned short)va_arg(ap, unsigned); break;
          case LEN_L:
          case LEN_Z:
          case LEN_T: v = va_arg(ap, unsigned long); break;
          case LEN_LL:
          case LEN_J: v = va_arg(ap, unsigned long long); break;
          default: v = va_arg(ap, unsigned); break;
        }
        format_integer(s, &sp, v, 0, 0);
        break;
      }
      case 'p': {
        const void *p = va_arg(ap, const void *);
        if (!p) {
          struct spec nil = sp;
          nil.prec = -1;
          format_string(s, &nil, "(nil)");
        } else {
          format_integer(s, &sp, (uint64_t)(uintptr_t)p, 0, 0);
        }
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        double v = length == LEN_BIG_L ? (double)va_arg(ap, long double) : va_arg(ap, double);
        format_float(s, &sp, v);
        break;
      }
      case 'n': {
        void *p = va_arg(ap, void *);
        switch (length) {
          case LEN_HH: *(signed char *)p = (signed char)s->total; break;
          case LEN_H: *(short *)p = (short)s->total; break;
          case LEN_L:
          case LEN_Z:
          case LEN_T: *(long *)p = (long)s->total; break;
          case LEN_LL:
          case LEN_J: *(long long *)p = (long long)s->total; break;
          default: *(int *)p = (int)s->total; break;
        }
        break;
      }
      default: put_n(s, spec_start, (size_t)(fmt - spec_start)); break; /* unknown: printed as written */
    }
  }
}

/* ---- the entry points ---- */

static int clamp_total(size_t total) { return total > (size_t)__INT_MAX__ ? -1 : (int)total; }

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct hlg__sink s = {buf, size ? size - 1 : 0, 0, 0, 0};
  hlg__format(&s, fmt, ap);
  if (size) buf[s.pos] = 0;
  return clamp_total(s.total);
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int vsprintf(char *buf, const char *fmt, va_list ap) { return vsnprintf(buf, (size_t)__INT_MAX__ + 1, fmt, ap); }

int sprintf(char *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsprintf(buf, fmt, ap);
  va_end(ap);
  return n;
}

static void print_flush(struct hlg__sink *s) {
  hlg_print_n(s->buf, s->pos);
  s->pos = 0;
}

int vprintf(const char *fmt, va_list ap) {
  char chunk[1024];
  struct hlg__sink s = {chunk, sizeof chunk, 0, 0, print_flush};
  hlg__format(&s, fmt, ap);
  print_flush(&s);
  return clamp_total(s.total);
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int vfprintf(FILE *f, const char *fmt, va_list ap) {
  (void)f;
  return vprintf(fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}

int fputs(const char *text, FILE *f) {
  (void)f;
  hlg_print(text);
  return 0;
}

int puts(const char *text) { return printf("%s\n", text) < 0 ? EOF : 0; }

int fputc(int c, FILE *f) {
  (void)f;
  char ch = (char)c;
  hlg_print_n(&ch, 1);
  return (unsigned char)c;
}

int putc(int c, FILE *f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

size_t fwrite(const void *ptr, size_t size, size_t count, FILE *f) {
  (void)f;
  if (size == 0 || count == 0) return 0;
  hlg_print_n((const char *)ptr, size * count);
  return count;
}

int fflush(FILE *f) {
  (void)f;
  return 0;
}

void hlg__flush_stdio(void) { /* nothing is held back: output is unbuffered */
}
