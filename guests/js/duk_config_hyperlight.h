/* Duktape configuration for the hyperlight guest js.elf.
 *
 * Duktape's own duk_config.h (from the Debian source package) is used as it
 * is, except that the build puts `#include "duk_config_hyperlight.h"` at its
 * documented customisation point, the line `__OVERRIDE_DEFINES__`, which
 * comes after the defaults and before the date-provider selection and the
 * option sanity checks. Every name below is a documented DUK_USE_* option
 * (Duktape's config/config-options/). docs/guests.md says why each is set. */
#ifndef DUK_CONFIG_HYPERLIGHT_H
#define DUK_CONFIG_HYPERLIGHT_H

/* Time: a guest has no clock (gettimeofday, clock_gettime and localtime would
 * be system calls). Date.now() is a fixed stub, every time zone is UTC, and
 * dates are parsed and formatted by Duktape's own ISO 8601 code rather than
 * strptime/strftime (locale-dependent, and the locale lives behind the
 * thread pointer in musl). performance.now() falls back to the same stub. */
#undef DUK_USE_DATE_NOW_GETTIMEOFDAY
#undef DUK_USE_DATE_TZO_GMTIME_R
#undef DUK_USE_DATE_PRS_STRPTIME
#undef DUK_USE_DATE_FMT_STRFTIME
#undef DUK_USE_GET_MONOTONIC_TIME_CLOCK_GETTIME
double hljs_date_now(void);
#define DUK_USE_DATE_GET_NOW(ctx) hljs_date_now()
#define DUK_USE_DATE_GET_LOCAL_TZOFFSET(d) 0

/* Math.random: Duktape seeds its generator from Date.now(), which is fixed
 * here; this one is seeded from the host's per-sandbox random seed. */
double hljs_random_double(void *heap_udata);
#define DUK_USE_GET_RANDOM_DOUBLE(udata) hljs_random_double(udata)

/* C recursion. Duktape runs JavaScript-to-JavaScript calls without C
 * recursion (bounded by DUK_USE_CALLSTACK_LIMIT), but calls through native
 * code (Array.prototype.map callbacks, getters, toString, sort comparators,
 * eval), regular expressions, JSON and CBOR recurse in C. They all ask this
 * check, which throws a RangeError while enough of the guest stack is left
 * for what runs without asking: the compiler (bounded by
 * DUK_USE_COMPILER_RECLIMIT below), the garbage collector and error
 * handling. So scripts hit a clean error instead of the guard page, with
 * any stack size (hl_config_set_stack_size). */
int hljs_native_stack_low(void);
#define DUK_USE_NATIVE_STACK_CHECK() hljs_native_stack_low()

/* The compiler's own recursion (nested expressions, blocks and functions)
 * asks no stack check, only this counter; Duktape's default (2500) lets a
 * hostile script use over 1 MiB of stack. 200 still allows 50 nested
 * function expressions or 200 nested brackets. */
#undef DUK_USE_COMPILER_RECLIMIT
#define DUK_USE_COMPILER_RECLIMIT 200

/* JX, Duktape's extended JSON (Duktape.enc("jx", ...)), decodes pointers
 * with sscanf, which would bring musl's stdio scanner and its locale and
 * locking code into the guest. Standard JSON and JC are unaffected. */
#undef DUK_USE_JX

/* Fatal errors (an error thrown outside any protected call, an internal
 * inconsistency) end the sandbox with the message instead of abort()'s
 * anonymous one. */
void hljs_fatal(void *udata, const char *msg);
#define DUK_USE_FATAL_HANDLER(udata, msg) hljs_fatal((udata), (msg))

#endif
