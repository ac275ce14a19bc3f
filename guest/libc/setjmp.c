/* <setjmp.h>: x86-64 System V. jmp_buf holds rbx rbp r12 r13 r14 r15, the
 * stack pointer after setjmp returns, and the return address. */
#include <setjmp.h>

__asm__(
    ".text\n"
    ".globl setjmp\n"
    ".hidden setjmp\n"
    ".type setjmp, @function\n"
    "setjmp:\n"
    "  movq %rbx, 0(%rdi)\n"
    "  movq %rbp, 8(%rdi)\n"
    "  movq %r12, 16(%rdi)\n"
    "  movq %r13, 24(%rdi)\n"
    "  movq %r14, 32(%rdi)\n"
    "  movq %r15, 40(%rdi)\n"
    "  leaq 8(%rsp), %rdx\n" /* the caller's stack pointer once we return */
    "  movq %rdx, 48(%rdi)\n"
    "  movq (%rsp), %rdx\n" /* the return address */
    "  movq %rdx, 56(%rdi)\n"
    "  xorl %eax, %eax\n"
    "  ret\n"
    ".size setjmp, .-setjmp\n"
    "\n"
    ".globl longjmp\n"
    ".hidden longjmp\n"
    ".type longjmp, @function\n"
    "longjmp:\n"
    "  movl %esi, %eax\n"
    "  testl %eax, %eax\n"
    "  jnz 1f\n"
    "  incl %eax\n" /* longjmp(env, 0) makes setjmp return 1 */
    "1:\n"
    "  movq 0(%rdi), %rbx\n"
    "  movq 8(%rdi), %rbp\n"
    "  movq 16(%rdi), %r12\n"
    "  movq 24(%rdi), %r13\n"
    "  movq 32(%rdi), %r14\n"
    "  movq 40(%rdi), %r15\n"
    "  movq 48(%rdi), %rsp\n"
    "  jmpq *56(%rdi)\n"
    ".size longjmp, .-longjmp\n");
