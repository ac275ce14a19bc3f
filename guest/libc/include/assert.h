/* hyperlight guest libc: <assert.h>.
 *
 * A failed assert aborts the sandbox with HLG_ABORT_ASSERTION and the
 * message "assertion failed: EXPR (FILE:LINE, in FUNCTION)". Defining
 * NDEBUG turns assert off, as in standard C; note that CMake's Release and
 * RelWithDebInfo builds define NDEBUG. Like the standard header, this one
 * may be included again after changing NDEBUG. */
#undef assert

#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr) ((expr) ? (void)0 : hlg__assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif

#ifndef HYPERLIGHT_GUEST_ASSERT_H
#define HYPERLIGHT_GUEST_ASSERT_H

#ifdef __cplusplus
extern "C" {
#endif

__attribute__((noreturn)) void hlg__assert_fail(const char *expr, const char *file, unsigned line, const char *func);

#ifdef __cplusplus
}
#endif

#if !defined(__cplusplus) && !defined(static_assert) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 202311L)
#define static_assert _Static_assert
#endif

#endif
