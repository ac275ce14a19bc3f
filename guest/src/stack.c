/* How much of the guest stack is left. Interpreters that recurse in C (a
 * script engine evaluating nested calls) check it and fail with a script
 * error before they reach the guard page, which would end the call with
 * HL_ERROR_STACK_OVERFLOW instead. */
#include "runtime.h"

size_t hlg_stack_left(void) {
  uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
  uintptr_t low = (uintptr_t)(hlg_peb->stack_top - hlg_peb->stack_size);
  return sp > low ? sp - low : 0;
}
