/* <stdlib.h> beyond the allocator: number parsing, abs, qsort, bsearch. */
#include <stdlib.h>

#include <ctype.h>
#include <string.h>

/* Parses [space][sign][0x]digits in base (0 = auto). Returns the magnitude
 * (saturated at ULLONG_MAX, with *overflow set). */
static unsigned long long parse(const char *s, char **end, int base, int *negative, int *overflow) {
  const char *p = s;
  *negative = 0;
  *overflow = 0;
  while (isspace((unsigned char)*p)) p++;
  if (*p == '+' || *p == '-') *negative = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  unsigned long long value = 0;
  const char *digits = p;
  if (base >= 2 && base <= 36) {
    for (;; p++) {
      int d;
      if (isdigit((unsigned char)*p))
        d = *p - '0';
      else if (isalpha((unsigned char)*p))
        d = tolower((unsigned char)*p) - 'a' + 10;
      else
        break;
      if (d >= base) break;
      if (value > (~0ull - (unsigned)d) / (unsigned)base) {
        *overflow = 1;
        value = ~0ull;
      } else if (!*overflow) {
        value = value * (unsigned)base + (unsigned)d;
      }
    }
  }
  if (end) *end = (char *)(p == digits ? s : p);
  return value;
}

long long strtoll(const char *s, char **end, int base) {
  int negative, overflow;
  unsigned long long v = parse(s, end, base, &negative, &overflow);
  const unsigned long long max = (unsigned long long)__LONG_LONG_MAX__;
  if (negative) return overflow || v > max + 1 ? -__LONG_LONG_MAX__ - 1 : (long long)(0 - v);
  return overflow || v > max ? __LONG_LONG_MAX__ : (long long)v;
}

unsigned long long strtoull(const char *s, char **end, int base) {
  int negative, overflow;
  unsigned long long v = parse(s, end, base, &negative, &overflow);
  if (overflow) return ~0ull;
  return negative ? 0 - v : v;
}

long strtol(const char *s, char **end, int base) { return (long)strtoll(s, end, base); }
unsigned long strtoul(const char *s, char **end, int base) { return (unsigned long)strtoull(s, end, base); }
int atoi(const char *s) { return (int)strtol(s, 0, 10); }
long atol(const char *s) { return strtol(s, 0, 10); }
long long atoll(const char *s) { return strtoll(s, 0, 10); }

int abs(int v) { return v < 0 ? -v : v; }
long labs(long v) { return v < 0 ? -v : v; }
long long llabs(long long v) { return v < 0 ? -v : v; }

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size) {
  for (size_t i = 0; i < size; i++) {
    unsigned char t = a[i];
    a[i] = b[i];
    b[i] = t;
  }
}

static void sift_down(unsigned char *base, size_t root, size_t count, size_t size,
                      int (*compare)(const void *, const void *)) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= count) return;
    if (child + 1 < count && compare(base + child * size, base + (child + 1) * size) < 0) child++;
    if (compare(base + root * size, base + child * size) >= 0) return;
    swap_bytes(base + root * size, base + child * size, size);
    root = child;
  }
}

/* Heapsort: O(n log n) worst case, no recursion, no allocation. */
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *)) {
  unsigned char *b = (unsigned char *)base;
  if (count < 2 || size == 0) return;
  for (size_t i = count / 2; i-- > 0;) sift_down(b, i, count, size, compare);
  for (size_t end = count - 1; end > 0; end--) {
    swap_bytes(b, b + end * size, size);
    sift_down(b, 0, end, size, compare);
  }
}

void *bsearch(const void *key, const void *base, size_t count, size_t size,
              int (*compare)(const void *, const void *)) {
  const unsigned char *b = (const unsigned char *)base;
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = compare(key, b + mid * size);
    if (c == 0) return (void *)(b + mid * size);
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return 0;
}
