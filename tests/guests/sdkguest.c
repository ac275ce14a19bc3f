/* Test guest for the guest SDK: typed exports, the fallback, the libc
 * subset (strings, stdlib, printf, malloc, setjmp, assert), abort and
 * logging. Written the way an SDK user would; every function is driven by
 * tests/integration/guest_sdk_test.cpp. */
#undef NDEBUG /* assert() must stay live in release builds of this guest */
#include <assert.h>
#include <ctype.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyperlight_guest.h"

/* ---- typed functions, one per kind ---- */

static int32_t add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
HLG_EXPORT_AS("Add", i32, add, i32, i32);

static int32_t echo_i32(int32_t v) { return v; }
static uint32_t echo_u32(uint32_t v) { return v; }
static int64_t echo_i64(int64_t v) { return v; }
static uint64_t echo_u64(uint64_t v) { return v; }
static float echo_f32(float v) { return v; }
static double echo_f64(double v) { return v; }
static bool echo_bool(bool v) { return v; }
static const char *echo_string(const char *v) { return v; }
static hlg_bytes echo_bytes(hlg_bytes v) { return v; }
HLG_EXPORT_AS("EchoI32", i32, echo_i32, i32);
HLG_EXPORT_AS("EchoU32", u32, echo_u32, u32);
HLG_EXPORT_AS("EchoI64", i64, echo_i64, i64);
HLG_EXPORT_AS("EchoU64", u64, echo_u64, u64);
HLG_EXPORT_AS("EchoF32", f32, echo_f32, f32);
HLG_EXPORT_AS("EchoF64", f64, echo_f64, f64);
HLG_EXPORT_AS("EchoBool", bool, echo_bool, bool);
HLG_EXPORT_AS("EchoString", string, echo_string, string);
HLG_EXPORT_AS("EchoBytes", bytes, echo_bytes, bytes);

/* Exported under its own C name. */
static int32_t answer(void) { return 42; }
HLG_EXPORT(i32, answer);

static int g_nothing_calls;
static void nothing(void) { g_nothing_calls++; }
HLG_EXPORT_AS("Nothing", void, nothing);

static int32_t nothing_calls(void) { return g_nothing_calls; }
HLG_EXPORT_AS("NothingCalls", i32, nothing_calls);

static bool negate(bool v) { return !v; }
HLG_EXPORT_AS("Not", bool, negate, bool);

/* A bytes result in scratch memory. */
static hlg_bytes reverse_bytes(hlg_bytes in) {
  uint8_t *out = (uint8_t *)hlg_scratch_alloc(in.len);
  for (size_t i = 0; i < in.len; i++) out[i] = in.ptr[in.len - 1 - i];
  hlg_bytes r = {out, in.len};
  return r;
}
HLG_EXPORT_AS("ReverseBytes", bytes, reverse_bytes, bytes);

/* Eleven mixed parameters, described as text the host rebuilds. */
static const char *all_types(int32_t a, uint32_t b, int64_t c, uint64_t d, float e, double f, bool g, const char *h,
                             hlg_bytes i, int32_t j, int64_t k) {
  return hlg_scratch_printf("%d %u %lld %llu %.9g %.17g %s %s %zu:%02x %d %lld", a, b, (long long)c,
                            (unsigned long long)d, (double)e, f, g ? "true" : "false", h, i.len, i.len ? i.ptr[0] : 0,
                            j, (long long)k);
}
HLG_EXPORT_AS("AllTypes", string, all_types, i32, u32, i64, u64, f32, f64, bool, string, bytes, i32, i64);

/* Sixteen parameters, registered at run time (HLG_FUNCTION + HLG_REGISTER). */
static int64_t sum16(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, int64_t f, int64_t g, int64_t h, int64_t i,
                     int64_t j, int64_t k, int64_t l, int64_t m, int64_t n, int64_t o, int64_t p) {
  /* Weighted so that a swapped pair changes the result. */
  return a * 1 + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7 + h * 8 + i * 9 + j * 10 + k * 11 + l * 12 + m * 13 +
         n * 14 + o * 15 + p * 16;
}
HLG_FUNCTION(i64, sum16, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

/* ---- errors from typed functions ---- */

static int32_t divide(int32_t a, int32_t b) {
  if (b == 0) {
    hlg_fail(HLG_ERROR_GUEST_ERROR, "divide(%d, 0): division by zero", a);
    return 0;
  }
  return a / b;
}
HLG_EXPORT_AS("Divide", i32, divide, i32, i32);

/* ---- typed host calls ---- */

static int32_t add_via_host(int32_t a, int32_t b) {
  int32_t sum = 0;
  uint32_t status = HLG_CALL_HOST(i32, &sum, "HostAdd", hlg_i32(a), hlg_i32(b));
  if (status != HLG_OK) hlg_fail(status, "%s", hlg_last_host_error());
  return sum;
}
HLG_EXPORT_AS("AddViaHost", i32, add_via_host, i32, i32);

/* HostAdd returns an i32: asking for an i64 is a kind mismatch. */
static int64_t add_via_host_as_i64(int32_t a, int32_t b) {
  int64_t sum = 0;
  uint32_t status = HLG_CALL_HOST(i64, &sum, "HostAdd", hlg_i32(a), hlg_i32(b));
  if (status != HLG_OK) hlg_fail(status, "%s", hlg_last_host_error());
  return sum;
}
HLG_EXPORT_AS("AddViaHostAsI64", i64, add_via_host_as_i64, i32, i32);

static const char *echo_via_host(const char *text) {
  const char *echoed = "";
  uint32_t status = HLG_CALL_HOST(string, &echoed, "HostEcho", hlg_string(text));
  if (status != HLG_OK) hlg_fail(status, "%s", hlg_last_host_error());
  return echoed; /* valid until the next host call: long enough */
}
HLG_EXPORT_AS("EchoViaHost", string, echo_via_host, string);

static double scale_via_host(double v, float factor, bool negate_it) {
  double out = 0;
  uint32_t status = HLG_CALL_HOST(f64, &out, "HostScale", hlg_f64(v), hlg_f32(factor), hlg_bool(negate_it));
  if (status != HLG_OK) hlg_fail(status, "%s", hlg_last_host_error());
  return out;
}
HLG_EXPORT_AS("ScaleViaHost", f64, scale_via_host, f64, f32, bool);

static void call_missing_host_function(void) {
  uint32_t status = HLG_CALL_HOST(void, NULL, "NoSuchHostFunction");
  if (status != HLG_OK) hlg_fail(status, "%s", hlg_last_host_error());
}
HLG_EXPORT_AS("CallMissingHostFunction", void, call_missing_host_function);

/* ---- the fallback ---- */

static uint32_t fallback(const char *name, const hlg_val *args, uint32_t nargs, hlg_val *result) {
  if (strcmp(name, "DynamicSum") == 0) {
    int64_t sum = 0;
    for (uint32_t i = 0; i < nargs; i++) {
      if (args[i].kind != HLG_I32)
        return hlg_error(HLG_ERROR_PARAMETER_TYPE_MISMATCH, "DynamicSum takes only i32 arguments");
      sum += args[i].of.i32;
    }
    *result = hlg_i64(sum);
    return HLG_OK;
  }
  if (strncmp(name, "Dynamic", 7) == 0) {
    *result = hlg_string(hlg_scratch_printf("fallback handled %s with %u arguments", name, nargs));
    return HLG_OK;
  }
  hlg_fail(HLG_ERROR_GUEST_FUNCTION_NOT_FOUND, "not even the fallback knows '%s'", name);
  return HLG_ERROR_GUEST_FUNCTION_NOT_FOUND;
}

/* ---- snprintf ---- */

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"

/* Formats one value with the host's format string; the two-pass length
 * check doubles as a test of snprintf(NULL, 0, ...). */
#define FORMAT_ONE(...)                                                              \
  do {                                                                               \
    int n = snprintf(NULL, 0, __VA_ARGS__);                                          \
    char *out = (char *)hlg_scratch_alloc((size_t)(n < 0 ? 0 : n) + 1);              \
    int m = snprintf(out, (size_t)n + 1, __VA_ARGS__);                               \
    if (m != n || strlen(out) != (size_t)n) hlg_fail(0, "length %d, then %d", n, m); \
    return out;                                                                      \
  } while (0)

static const char *format_i32(const char *fmt, int32_t v) { FORMAT_ONE(fmt, v); }
static const char *format_i64(const char *fmt, int64_t v) { FORMAT_ONE(fmt, (long long)v); }
static const char *format_f64(const char *fmt, double v) { FORMAT_ONE(fmt, v); }
static const char *format_long_double(const char *fmt, double v) { FORMAT_ONE(fmt, (long double)v); }
static const char *format_string(const char *fmt, const char *v) { FORMAT_ONE(fmt, v); }
static const char *format_pointer(const char *fmt, uint64_t v) { FORMAT_ONE(fmt, (void *)(uintptr_t)v); }
static const char *format_star_i32(const char *fmt, int32_t width, int32_t prec, int32_t v) {
  FORMAT_ONE(fmt, width, prec, v);
}
static const char *format_star_f64(const char *fmt, int32_t width, int32_t prec, double v) {
  FORMAT_ONE(fmt, width, prec, v);
}
HLG_EXPORT_AS("FormatI32", string, format_i32, string, i32);
HLG_EXPORT_AS("FormatI64", string, format_i64, string, i64);
HLG_EXPORT_AS("FormatF64", string, format_f64, string, f64);
HLG_EXPORT_AS("FormatLongDouble", string, format_long_double, string, f64);
HLG_EXPORT_AS("FormatString", string, format_string, string, string);
HLG_EXPORT_AS("FormatPointer", string, format_pointer, string, u64);
HLG_EXPORT_AS("FormatStarI32", string, format_star_i32, string, i32, i32, i32);
HLG_EXPORT_AS("FormatStarF64", string, format_star_f64, string, i32, i32, f64);

/* snprintf into a small buffer: "n=<return> buf=<contents> after=<byte past the NUL>". */
static const char *snprintf_truncates(const char *text, int32_t size) {
  char buf[64];
  memset(buf, '#', sizeof buf);
  if (size < 0 || size > 32) size = 32;
  int n = snprintf(buf, (size_t)size, "%s", text);
  return hlg_scratch_printf("n=%d buf=%.*s after=%c", n, size ? (int)strnlen(buf, 63) : 0, size ? buf : "", buf[size]);
}
HLG_EXPORT_AS("SnprintfTruncates", string, snprintf_truncates, string, i32);

/* Several conversions in one format, and %n. */
static const char *format_mixed(void) {
  int count = 0;
  char buf[200];
  snprintf(buf, sizeof buf, "[%5d|%-5d|%05d|%+d|% d|%x|%#X|%#o|%c|%s|%.2s|%8.3f|%-10.2e|%g|%%]%n", 42, 42, 42, 42, 42,
           255, 255, 8, 'z', "str", "string", 3.14159, 12345.678, 0.0001, &count);
  return hlg_scratch_printf("%s count=%d", buf, count);
}
HLG_EXPORT_AS("FormatMixed", string, format_mixed);

/* ---- printf to the host's stdout ---- */

static void printf_to_host(const char *name, int32_t n) {
  printf("hello %s, %d + %d = %d\n", name, n, n, 2 * n);
  puts("puts adds a newline");
  putchar('!');
  putchar('\n');
  fprintf(stderr, "stderr goes to the same place\n");
  fputs("fputs\n", stdout);
  fwrite("fwrite\n", 1, 7, stdout);
}
HLG_EXPORT_AS("PrintfToHost", void, printf_to_host, string, i32);

/* More text than one printf chunk and one output buffer. */
static int32_t print_long(int32_t len) {
  char *text = (char *)malloc((size_t)len + 1);
  for (int32_t i = 0; i < len; i++) text[i] = (char)('a' + i % 26);
  text[len] = 0;
  int n = printf("%s", text);
  free(text);
  return n;
}
HLG_EXPORT_AS("PrintLong", i32, print_long, i32);

/* ---- strings and stdlib: self-checks that name the failing line ---- */

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    checks++;                                                                                \
    if (!(cond)) {                                                                           \
      hlg_fail(HLG_ERROR_GUEST_ERROR, "check failed at sdkguest.c:%d: %s", __LINE__, #cond); \
      return checks;                                                                         \
    }                                                                                        \
  } while (0)

static int32_t string_functions(void) {
  int32_t checks = 0;
  char buf[64];
  /* memcpy / memmove, both overlap directions */
  strcpy(buf, "0123456789");
  CHECK(memcmp(memcpy(buf, "abc", 3), "abc3456789", 10) == 0);
  strcpy(buf, "0123456789");
  memmove(buf + 2, buf, 6);
  CHECK(strcmp(buf, "0101234589") == 0);
  strcpy(buf, "0123456789");
  memmove(buf, buf + 3, 7);
  CHECK(strcmp(buf, "3456789789") == 0);
  CHECK(memmove(buf, buf, 5) == buf);
  /* memset / memcmp / memchr */
  memset(buf, 'x', 5);
  buf[5] = 0;
  CHECK(strcmp(buf, "xxxxx") == 0);
  CHECK(memcmp("abc", "abd", 3) < 0 && memcmp("abd", "abc", 3) > 0 && memcmp("abc", "abd", 2) == 0);
  CHECK(memcmp("\xff", "\x01", 1) > 0); /* bytes compare as unsigned */
  const char *hello = "hello";
  CHECK(memchr(hello, 'l', 5) == hello + 2 && memchr(hello, 'z', 5) == NULL && memchr(hello, 'o', 4) == NULL);
  /* lengths */
  CHECK(strlen("") == 0 && strlen("hyperlight") == 10);
  CHECK(strnlen("hyperlight", 4) == 4 && strnlen("hi", 10) == 2);
  /* comparisons */
  CHECK(strcmp("abc", "abc") == 0 && strcmp("abc", "abd") < 0 && strcmp("abd", "abc") > 0);
  CHECK(strcmp("ab", "abc") < 0 && strcmp("abc", "ab") > 0);
  CHECK(strcmp("\xe9", "a") > 0); /* unsigned char order */
  CHECK(strncmp("abcdef", "abcxyz", 3) == 0 && strncmp("abcdef", "abcxyz", 4) < 0 && strncmp("a", "b", 0) == 0);
  /* searching */
  const char *s = "hello, world";
  CHECK(strchr(s, 'o') == s + 4 && strrchr(s, 'o') == s + 8 && strchr(s, 'z') == NULL);
  CHECK(strchr(s, '\0') == s + 12 && strrchr(s, '\0') == s + 12);
  CHECK(strstr(s, "world") == s + 7 && strstr(s, "") == s && strstr(s, "worlds") == NULL);
  CHECK(strstr(s, "d") == s + 11 && strstr("aaab", "aab") != NULL);
  CHECK(strspn("123abc", "0123456789") == 3 && strcspn("abc,def", ",;") == 3);
  /* copying */
  CHECK(strcmp(strcpy(buf, "copy"), "copy") == 0);
  memset(buf, 'x', 10);
  strncpy(buf, "ab", 6);
  CHECK(memcmp(buf, "ab\0\0\0\0xxxx", 10) == 0); /* pads with NULs */
  strncpy(buf, "abcdefgh", 4);
  CHECK(memcmp(buf, "abcd\0\0xxxx", 10) == 0); /* no NUL when cut */
  strcpy(buf, "con");
  strcat(buf, "cat");
  CHECK(strcmp(buf, "concat") == 0);
  strncat(buf, "enate!!", 5);
  CHECK(strcmp(buf, "concatenate") == 0);
  char *dup = strdup("duplicate");
  CHECK(strcmp(dup, "duplicate") == 0 && dup != NULL);
  free(dup);
  dup = strndup("duplicate", 3);
  CHECK(strcmp(dup, "dup") == 0);
  free(dup);
  return checks;
}
HLG_EXPORT_AS("StringFunctions", i32, string_functions);

static int compare_ints(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int32_t stdlib_functions(void) {
  int32_t checks = 0;
  char *end;
  CHECK(strtol("  -123abc", &end, 10) == -123 && strcmp(end, "abc") == 0);
  CHECK(strtol("0x1F", &end, 0) == 31 && *end == 0);
  CHECK(strtol("0777", NULL, 0) == 511 && strtol("zz", NULL, 36) == 1295 && strtol("101", NULL, 2) == 5);
  CHECK(strtol("ff", NULL, 16) == 255 && strtol("0xff", NULL, 16) == 255);
  CHECK(strtoll("99999999999999999999", NULL, 10) == __LONG_LONG_MAX__);
  CHECK(strtoll("-9223372036854775808", NULL, 10) == -__LONG_LONG_MAX__ - 1);
  CHECK(strtoull("18446744073709551615", NULL, 10) == ~0ull && strtoull("-1", NULL, 10) == ~0ull);
  const char *none = "  xyz";
  CHECK(strtol(none, &end, 10) == 0 && end == none);
  CHECK(atoi("42") == 42 && atoi("-7x") == -7 && atol("+15") == 15 && atoll("123456789012") == 123456789012ll);
  CHECK(abs(-5) == 5 && labs(-5l) == 5 && llabs(-5ll) == 5 && abs(5) == 5);
  int values[100];
  uint32_t r = 12345;
  for (int i = 0; i < 100; i++) {
    r = r * 1103515245u + 12345u;
    values[i] = (int)(r >> 8) % 1000 - 500;
  }
  qsort(values, 100, sizeof values[0], compare_ints);
  int sorted = 1;
  for (int i = 1; i < 100; i++) sorted &= values[i - 1] <= values[i];
  CHECK(sorted);
  int key = values[37];
  int *found = (int *)bsearch(&key, values, 100, sizeof values[0], compare_ints);
  CHECK(found != NULL && *found == key);
  key = 10000;
  CHECK(bsearch(&key, values, 100, sizeof values[0], compare_ints) == NULL);
  qsort(values, 0, sizeof values[0], compare_ints); /* nothing to do */
  CHECK(isdigit('7') && !isdigit('a') && isalpha('Q') && isspace('\t') && isxdigit('F') && !isxdigit('g'));
  CHECK(toupper('a') == 'A' && tolower('Z') == 'z' && toupper('1') == '1' && ispunct('!') && isalnum('9'));
  return checks;
}
HLG_EXPORT_AS("StdlibFunctions", i32, stdlib_functions);

/* ---- malloc ---- */

static uint64_t heap_free_bytes(void) {
  struct hlg_heap_stats st;
  hlg_heap_stats(&st);
  return st.free_bytes;
}
static uint64_t heap_allocations(void) {
  struct hlg_heap_stats st;
  hlg_heap_stats(&st);
  return st.allocations;
}
HLG_EXPORT_AS("HeapFreeBytes", u64, heap_free_bytes);
HLG_EXPORT_AS("HeapAllocations", u64, heap_allocations);

struct slot {
  uint8_t *ptr;
  size_t size;
  uint8_t seed;
};

static int slot_intact(const struct slot *s) {
  for (size_t i = 0; i < s->size; i++)
    if (s->ptr[i] != (uint8_t)(s->seed + i * 7)) return 0;
  return 1;
}

static void slot_fill(struct slot *s, size_t from) {
  for (size_t i = from; i < s->size; i++) s->ptr[i] = (uint8_t)(s->seed + i * 7);
}

/* Random malloc/calloc/realloc/free with content checks; at the end the heap
 * must be exactly as before (every block coalesced back). Returns the bytes
 * verified. */
static uint64_t malloc_stress(int32_t seed, int32_t rounds) {
  enum { SLOTS = 200 };
  struct slot *slots = (struct slot *)calloc(SLOTS, sizeof(struct slot));
  struct hlg_heap_stats before;
  hlg_heap_stats(&before);
  uint64_t verified = 0;
  uint32_t r = (uint32_t)seed;
  for (int32_t round = 0; round < rounds; round++) {
    r = r * 1664525u + 1013904223u;
    struct slot *s = &slots[(r >> 8) % SLOTS];
    uint32_t pick = r >> 28;
    size_t size = (r >> 4) % 4096;
    if (pick == 0) size = 65536 + (r & 0xffff); /* now and then a big one */
    if (!s->ptr) {
      s->seed = (uint8_t)r;
      if (pick & 1) {
        s->ptr = (uint8_t *)calloc(size, 1);
        for (size_t i = 0; i < size; i++)
          if (s->ptr[i] != 0) {
            hlg_fail(0, "calloc(%zu) memory not zero at %zu", size, i);
            return 0;
          }
      } else {
        s->ptr = (uint8_t *)malloc(size);
      }
      s->size = size;
      slot_fill(s, 0);
    } else {
      if (!slot_intact(s)) {
        hlg_fail(0, "round %d: block of %zu bytes was overwritten", round, s->size);
        return 0;
      }
      verified += s->size;
      if (pick < 8) {
        free(s->ptr);
        s->ptr = NULL;
      } else {
        s->ptr = (uint8_t *)realloc(s->ptr, size);
        size_t kept = s->size < size ? s->size : size;
        s->size = kept;
        if (!slot_intact(s)) {
          hlg_fail(0, "round %d: realloc lost the contents", round);
          return 0;
        }
        s->size = size;
        slot_fill(s, kept);
      }
    }
    if (s->ptr && ((uintptr_t)s->ptr & 15) != 0) {
      hlg_fail(0, "pointer %p is not 16-byte aligned", (void *)s->ptr);
      return 0;
    }
  }
  for (int i = 0; i < SLOTS; i++) {
    if (!slots[i].ptr) continue;
    if (!slot_intact(&slots[i])) {
      hlg_fail(0, "slot %d was overwritten", i);
      return 0;
    }
    verified += slots[i].size;
    free(slots[i].ptr);
  }
  struct hlg_heap_stats after;
  hlg_heap_stats(&after);
  if (after.free_bytes != before.free_bytes || after.allocations != before.allocations ||
      after.largest_free != before.largest_free) {
    hlg_fail(0, "heap not restored: free %zu -> %zu, allocations %zu -> %zu, largest %zu -> %zu", before.free_bytes,
             after.free_bytes, before.allocations, after.allocations, before.largest_free, after.largest_free);
    return 0;
  }
  free(slots);
  return verified;
}
HLG_EXPORT_AS("MallocStress", u64, malloc_stress, i32, i32);

/* Allocates chunk-sized blocks until the heap runs out: aborts. */
static void malloc_exhaustion(int32_t chunk) {
  for (;;) {
    uint8_t *p = (uint8_t *)malloc((size_t)chunk);
    p[0] = 1;
  }
}
HLG_EXPORT_AS("MallocExhaustion", void, malloc_exhaustion, i32);

static void calloc_overflow(void) {
  void *p = calloc(~(size_t)0 / 2, 4);
  free(p);
}
HLG_EXPORT_AS("CallocOverflow", void, calloc_overflow);

static bool try_malloc_too_big(void) {
  void *p = hlg_try_malloc((size_t)1 << 40);
  void *q = hlg_try_malloc(~(size_t)0);
  void *small = hlg_try_malloc(16);
  bool ok = p == NULL && q == NULL && small != NULL;
  free(small);
  return ok;
}
HLG_EXPORT_AS("TryMallocTooBig", bool, try_malloc_too_big);

/* hlg_stack_left: shrinks as the stack grows. */
static uint64_t stack_left_at_depth(int32_t depth) {
  volatile char pad[1024];
  pad[0] = (char)depth;
  uint64_t left = depth > 0 ? stack_left_at_depth(depth - 1) : hlg_stack_left();
  if (pad[0] != (char)depth) hlg_abort(1, "pad changed"); /* keeps the frame live: no tail call */
  return left;
}
static uint64_t stack_left(void) { return hlg_stack_left(); }
HLG_EXPORT_AS("StackLeft", u64, stack_left);
HLG_EXPORT_AS("StackLeftAtDepth", u64, stack_left_at_depth, i32);

static bool malloc_edge_cases(void) {
  void *a = malloc(0), *b = malloc(0);
  bool ok = a && b && a != b;
  free(a);
  free(b);
  free(NULL);
  char *p = (char *)realloc(NULL, 10); /* = malloc */
  strcpy(p, "123456789");
  p = (char *)realloc(p, 100000);
  ok = ok && strcmp(p, "123456789") == 0;
  p = (char *)realloc(p, 5);
  ok = ok && memcmp(p, "12345", 5) == 0;
  ok = ok && realloc(p, 0) == NULL; /* frees */
  return ok;
}
HLG_EXPORT_AS("MallocEdgeCases", bool, malloc_edge_cases);

static void bad_free(int32_t how) {
  char local[32];
  char *p = (char *)malloc(64);
  switch (how) {
    case 0: free(local); break;
    case 1:
      free(p);
      free(p);
      break;
    default: free(p + 16); break;
  }
}
HLG_EXPORT_AS("BadFree", void, bad_free, i32);

/* ---- setjmp / longjmp ---- */

static jmp_buf g_env;

static int32_t dive(int32_t depth, int32_t value) {
  volatile char pad[64];
  pad[depth & 63] = (char)depth;
  if (depth == 0) longjmp(g_env, value);
  if (depth < 0) return 0;
  return dive(depth - 1, value) + pad[depth & 63];
}

/* longjmp out of `depth` frames, twice: with depth+5 and with 0 (which
 * makes setjmp return 1). Locals not changed after setjmp must survive. */
static int32_t setjmp_longjmp(int32_t depth) {
  volatile int32_t phase = 0, first = -1, second = -1;
  int64_t kept_a = depth * 3 + 1, kept_b = (int64_t)depth << 33;
  int r = setjmp(g_env);
  if (phase == 0) {
    phase = 1;
    dive(depth, depth + 5);
  } else if (phase == 1) {
    first = r;
    phase = 2;
    dive(depth, 0);
  } else {
    second = r;
  }
  if (kept_a != depth * 3 + 1 || kept_b != (int64_t)depth << 33) {
    hlg_fail(0, "locals changed across longjmp");
    return 0;
  }
  return first * 1000 + second;
}
HLG_EXPORT_AS("SetjmpLongjmp", i32, setjmp_longjmp, i32);

/* ---- assert and abort ---- */

static int32_t check_assert(int32_t x) {
  assert(x == 42);
  return x;
}
HLG_EXPORT_AS("Assert", i32, check_assert, i32);

static void call_abort(void) { abort(); }
HLG_EXPORT_AS("CallAbort", void, call_abort);

/* Points RSP somewhere useless, then jumps (a call would need the stack)
 * to hlg_abort, which must still report. */
static void abort_with_broken_stack(int32_t how) {
  static const char message[] = "abort with a broken stack";
  uint64_t rsp = how == 0   ? 0x10                  /* the unmapped null page */
                 : how == 1 ? 0x00007fffdead0000ull /* canonical, far above guest memory */
                 : how == 2 ? 0x8000000000000000ull /* non-canonical */
                            : 0x1;                  /* misaligned, and the direction flag set */
  if (how == 3) __asm__ volatile("std");
  __asm__ volatile("mov %0, %%rsp\n\tjmp hlg_abort" : : "r"(rsp), "D"(4242), "S"(message) : "memory");
  __builtin_unreachable();
}
HLG_EXPORT_AS("AbortWithBrokenStack", void, abort_with_broken_stack, i32);

/* Overwrites the heap's bookkeeping, then aborts. */
static void abort_with_broken_heap(void) {
  uint8_t *p = (uint8_t *)malloc(64);
  memset(p - 16, 0xa5, 16 + 64 + 64);
  hlg_abort(4343, "abort with a broken heap");
}
HLG_EXPORT_AS("AbortWithBrokenHeap", void, abort_with_broken_heap);

/* A message of len bytes "abcd...". */
static char *letters(int32_t len) {
  char *text = (char *)malloc((size_t)len + 1);
  for (int32_t i = 0; i < len; i++) text[i] = (char)('a' + i % 26);
  text[len] = 0;
  return text;
}

static void long_abort_message(int32_t len) { hlg_abort(77, letters(len)); }
HLG_EXPORT_AS("LongAbortMessage", void, long_abort_message, i32);

static void long_abortf_message(int32_t len) { hlg_abortf(78, "%s", letters(len)); }
HLG_EXPORT_AS("LongAbortfMessage", void, long_abortf_message, i32);

static void abortf(int32_t n) { hlg_abortf(79, "formatted abort: n=%d, %s", n, "text"); }
HLG_EXPORT_AS("Abortf", void, abortf, i32);

/* ---- logging ---- */

static uint32_t max_log_level(void) { return hlg_max_log_level(); }
HLG_EXPORT_AS("MaxLogLevel", u32, max_log_level);

static void log_message(int32_t level, const char *message) { HLG_LOG((uint32_t)level, "%s", message); }
HLG_EXPORT_AS("Log", void, log_message, i32, string);

static void log_all_levels(void) {
  HLG_LOG_ERROR("error record %d", 1);
  HLG_LOG_WARN("warn record %d", 2);
  HLG_LOG_INFO("info record %d", 3);
  HLG_LOG_DEBUG("debug record %d", 4);
  HLG_LOG_TRACE("trace record %d", 5);
}
HLG_EXPORT_AS("LogAllLevels", void, log_all_levels);

/* Returns the line of its log call, for the host to compare. */
static int32_t log_line(void) {
  int32_t line = __LINE__ + 1;
  HLG_LOG_WARN("the line is %d", line);
  return line;
}
HLG_EXPORT_AS("LogLine", i32, log_line);

/* Disabled levels must not even evaluate their arguments. */
static int g_evaluations;
static int evaluated(void) { return ++g_evaluations; }
static int32_t log_evaluations(void) {
  g_evaluations = 0;
  HLG_LOG_ERROR("%d", evaluated());
  HLG_LOG_WARN("%d", evaluated());
  HLG_LOG_INFO("%d", evaluated());
  HLG_LOG_DEBUG("%d", evaluated());
  HLG_LOG_TRACE("%d", evaluated());
  return g_evaluations;
}
HLG_EXPORT_AS("LogEvaluations", i32, log_evaluations);

static void log_long(int32_t len) {
  char *text = letters(len);
  HLG_LOG_ERROR("%s", text);
  free(text);
}
HLG_EXPORT_AS("LogLong", void, log_long, i32);

/* ---- initialisation ---- */

void hyperlight_main(void) {
  HLG_LOG_INFO("sdkguest initialising");
  if (HLG_REGISTER(sum16, "Sum16") != HLG_OK) hlg_abort(1, "cannot register Sum16");
  if (HLG_REGISTER(sum16, "Sum16") == HLG_OK) hlg_abort(1, "registered Sum16 twice");
  hlg_register_fallback(fallback);
}
