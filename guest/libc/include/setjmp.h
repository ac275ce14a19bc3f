/* hyperlight guest libc: <setjmp.h>.
 *
 * setjmp saves the callee-saved registers (rbx rbp r12-r15), the stack
 * pointer and the return address; longjmp(env, v) resumes there with
 * setjmp returning v (1 if v is 0). The signal mask and the floating-point
 * environment are not saved (there are no signals). */
#ifndef HYPERLIGHT_GUEST_SETJMP_H
#define HYPERLIGHT_GUEST_SETJMP_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long long jmp_buf[8];

__attribute__((returns_twice)) int setjmp(jmp_buf env);
__attribute__((noreturn)) void longjmp(jmp_buf env, int value);

#ifdef __cplusplus
}
#endif

#endif
