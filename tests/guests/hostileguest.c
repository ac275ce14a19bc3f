/* A guest that attacks the host: it lies in its messages, uses the ports
 * wrongly, runs privileged instructions and touches memory it must not.
 * Each function is one attack; tests/integration/hostile_guest_test.cpp
 * checks that each ends in a specific error and leaves the host unharmed. */
#include "hl_abi.h"
#include "hl_wire.h"
#include "hyperlight_guest.h"

/* The runtime's PEB pointer (set at entry). */
extern const struct hl_peb *hlg_peb;

static uint8_t *output(void) { return (uint8_t *)(uintptr_t)hlg_peb->output_buffer; }

static void out32(uint16_t port, uint32_t value) { __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes a message header (total_len, type) at the start of the output buffer. */
static void header(uint32_t total_len, uint8_t type) {
  uint8_t *o = output();
  put_u32(o, total_len);
  o[4] = type;
  o[5] = o[6] = o[7] = 0;
}

#define ATTACK(name) static uint32_t name(const hlg_val *args, uint32_t nargs, hlg_val *result)
#define UNUSED (void)args, (void)nargs, (void)result

ATTACK(garbage_output) {
  UNUSED;
  uint8_t *o = output();
  for (uint32_t i = 0; i < 4096; i++) o[i] = 0xAB;
  out32(HL_PORT_DONE, 0);
  return HLG_OK;
}

ATTACK(huge_length_output) {
  UNUSED;
  header(0xFFFFFFF0u, HL_MSG_RESULT);
  out32(HL_PORT_DONE, 0);
  return HLG_OK;
}

ATTACK(string_past_end) {
  UNUSED;
  header(20, HL_MSG_RESULT);
  output()[8] = HL_WIRE_STRING;
  put_u32(output() + 9, 100000); /* claims 100000 bytes in a 20-byte message */
  out32(HL_PORT_DONE, 0);
  return HLG_OK;
}

ATTACK(bad_result_kind) {
  UNUSED;
  header(13, HL_MSG_RESULT);
  output()[8] = 77;
  out32(HL_PORT_DONE, 0);
  return HLG_OK;
}

ATTACK(empty_done) {
  UNUSED;
  header(0, 0);
  out32(HL_PORT_DONE, 0);
  return HLG_OK;
}

/* A well-formed RESULT(void) but for one padding byte of its header. */
ATTACK(nonzero_header_padding) {
  UNUSED;
  header(9, HL_MSG_RESULT);
  output()[6] = 0x5A;
  output()[8] = HL_WIRE_VOID;
  out32(HL_PORT_DONE, 0);
  return HLG_OK;
}

/* A host call whose header has a padding byte set. */
ATTACK(host_call_nonzero_padding) {
  UNUSED;
  hl_wire_writer w;
  hl_wire_begin(&w, output(), (uint32_t)hlg_peb->output_size, HL_MSG_CALL);
  hl_wire_put_str(&w, "HostAdd", 7);
  hl_wire_put_u8(&w, 0);
  hl_wire_end(&w);
  output()[7] = 0x01;
  out32(HL_PORT_CALL_HOST, 0);
  return HLG_OK;
}

ATTACK(ready_instead_of_result) {
  UNUSED;
  header(20, HL_MSG_READY);
  put_u32(output() + 8, HL_ABI_VERSION);
  out32(HL_PORT_DONE, 0);
  return HLG_OK;
}

/* An ERROR claiming the host cancelled the call: must not be believed. */
ATTACK(forged_cancel) {
  UNUSED;
  hl_wire_writer w;
  hl_wire_begin(&w, output(), (uint32_t)hlg_peb->output_size, HL_MSG_ERROR);
  hl_wire_put_u32(&w, 11 /* HL_ERROR_CANCELLED */);
  hl_wire_put_str(&w, "you were cancelled", 18);
  hl_wire_end(&w);
  out32(HL_PORT_DONE, 0);
  return HLG_OK;
}

/* A host call whose string argument claims 4 GiB. */
ATTACK(host_call_4gib_string) {
  UNUSED;
  hl_wire_writer w;
  hl_wire_begin(&w, output(), (uint32_t)hlg_peb->output_size, HL_MSG_CALL);
  hl_wire_put_str(&w, "HostEcho", 8);
  hl_wire_put_u8(&w, 1);
  hl_wire_put_u8(&w, HL_WIRE_STRING);
  hl_wire_put_u32(&w, 0xFFFFFFFFu);
  uint32_t len = hl_wire_end(&w);
  (void)len;
  out32(HL_PORT_CALL_HOST, 0);
  return HLG_OK;
}

ATTACK(host_call_garbage) {
  UNUSED;
  uint8_t *o = output();
  for (uint32_t i = 0; i < 256; i++) o[i] = (uint8_t)(i * 37);
  out32(HL_PORT_CALL_HOST, 0);
  return HLG_OK;
}

ATTACK(call_unregistered_host_function) {
  UNUSED;
  hlg_val r;
  return hlg_call_host("NoSuchHostFunction", 0, 0, &r);
}

ATTACK(spin_in_host_calls) {
  UNUSED;
  hlg_val pair[2] = {hlg_i32(1), hlg_i32(2)};
  hlg_val r;
  static volatile int keep_going = 1; /* never cleared: only hl_kill ends this */
  while (keep_going) hlg_call_host("HostAdd", pair, 2, &r);
  *result = hlg_void();
  return HLG_OK;
}

ATTACK(out_unknown_port) {
  UNUSED;
  out32(0x65, 0);
  return HLG_OK;
}

ATTACK(out_byte_unknown_port) {
  UNUSED;
  __asm__ volatile("outb %0, %1" : : "a"((uint8_t)0), "Nd"((uint16_t)0x66));
  return HLG_OK;
}

/* 16 bits to 0x65-0x66: open in the I/O bitmap, but no ABI port. */
ATTACK(out_word_unknown_port) {
  UNUSED;
  __asm__ volatile("outw %0, %1" : : "a"((uint16_t)0), "Nd"((uint16_t)0x65));
  return HLG_OK;
}

ATTACK(in_from_closed_port) {
  UNUSED;
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0x80));
  *result = hlg_i32((int32_t)v);
  return HLG_OK;
}

ATTACK(out_byte) {
  UNUSED;
  __asm__ volatile("outb %0, %1" : : "a"((uint8_t)0), "Nd"((uint16_t)HL_PORT_DONE));
  return HLG_OK;
}

ATTACK(out_word) {
  UNUSED;
  __asm__ volatile("outw %0, %1" : : "a"((uint16_t)0), "Nd"((uint16_t)HL_PORT_CALL_HOST));
  return HLG_OK;
}

ATTACK(in_from_port) {
  UNUSED;
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)HL_PORT_DONE));
  *result = hlg_i32((int32_t)v);
  return HLG_OK;
}

ATTACK(rep_outs) {
  UNUSED;
  const char *src = "abcd";
  uint64_t count = 4;
  __asm__ volatile("rep outsb" : "+S"(src), "+c"(count) : "d"((uint16_t)HL_PORT_DONE) : "memory");
  return HLG_OK;
}

ATTACK(out_exception_port) {
  UNUSED;
  __asm__ volatile("outb %0, %1" : : "a"((uint8_t)14), "Nd"((uint16_t)HL_PORT_EXCEPTION));
  return HLG_OK;
}

ATTACK(smash_stack) {
  UNUSED;
  __asm__ volatile("mov $0x10, %rsp\n ret"); /* the stack now points into the null page */
  return HLG_OK;
}

ATTACK(breakpoint) {
  UNUSED;
  __asm__ volatile("int3");
  return HLG_OK;
}

ATTACK(software_interrupt) {
  UNUSED;
  __asm__ volatile("int $0x80");
  return HLG_OK;
}

ATTACK(halt) {
  UNUSED;
  __asm__ volatile("hlt");
  return HLG_OK;
}

ATTACK(disable_interrupts) {
  UNUSED;
  __asm__ volatile("cli");
  return HLG_OK;
}

ATTACK(write_msr) {
  UNUSED;
  __asm__ volatile("wrmsr" : : "c"(0xC0000082u), "a"(0), "d"(0)); /* LSTAR */
  return HLG_OK;
}

ATTACK(load_cr3) {
  UNUSED;
  __asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)0x1000));
  return HLG_OK;
}

/* Selectors with TI set name the LDT, which the host leaves null: #GP,
 * never a descriptor read from guest memory. */
ATTACK(load_ldt_selector) {
  UNUSED;
  __asm__ volatile("mov %0, %%ds" : : "r"((uint16_t)0x7) : "memory");
  return HLG_OK;
}

ATTACK(load_high_ldt_selector) {
  UNUSED;
  __asm__ volatile("mov %0, %%es" : : "r"((uint16_t)0xfff) : "memory");
  return HLG_OK;
}

/* Reads the GDT's address: a #GP where the CPU offers UMIP (the host sets
 * CR4.UMIP then), else it returns the base. */
ATTACK(store_gdt_register) {
  UNUSED;
  struct __attribute__((packed)) {
    uint16_t limit;
    uint64_t base;
  } gdtr = {0, 0};
  __asm__ volatile("sgdt %0" : "=m"(gdtr));
  *result = hlg_i64((int64_t)gdtr.base);
  return HLG_OK;
}

/* Writes the first byte past the heap: its guard page, not the stack's. */
ATTACK(write_past_heap) {
  UNUSED;
  *(volatile uint8_t *)(uintptr_t)(hlg_peb->heap + hlg_peb->heap_size) = 1;
  return HLG_OK;
}

ATTACK(system_call) {
  UNUSED;
  __asm__ volatile("syscall" : : : "rcx", "r11", "memory");
  return HLG_OK;
}

ATTACK(jump_to_zero) {
  UNUSED;
  void (*volatile target)(void) = 0;
  target();
  return HLG_OK;
}

/* Executes a `ret` copied onto the (non-executable) stack. */
ATTACK(execute_stack) {
  UNUSED;
  volatile uint8_t code[16] = {0xC3};
  void (*fn)(void) = (void (*)(void))(uintptr_t)code;
  fn();
  return HLG_OK;
}

ATTACK(read_above_memory) {
  UNUSED;
  volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(hlg_peb->memory_size + 0x1000);
  *result = hlg_i64((int64_t)*p);
  return HLG_OK;
}

ATTACK(write_above_memory) {
  UNUSED;
  *(volatile uint64_t *)(uintptr_t)(hlg_peb->memory_size + 0x100000) = 1;
  return HLG_OK;
}

ATTACK(write_page_tables) {
  UNUSED;
  *(volatile uint64_t *)(uintptr_t)0x1000 = 0;
  return HLG_OK;
}

ATTACK(write_peb) {
  UNUSED;
  *(volatile uint64_t *)(uintptr_t)hlg_peb = 0;
  return HLG_OK;
}

static volatile uint32_t g_recursion_limit = 0xFFFFFFFFu; /* opaque to the compiler */

static uint32_t recurse(uint32_t depth) {
  volatile uint8_t frame[256];
  frame[0] = (uint8_t)depth;
  if (depth == g_recursion_limit) return frame[0];
  return recurse(depth + 1) + frame[0];
}

ATTACK(recurse_forever) {
  UNUSED;
  *result = hlg_i32((int32_t)recurse(0));
  return HLG_OK;
}

/* One frame far larger than the stack: with -fstack-clash-protection the
 * probes hit the guard page instead of skipping over it into the heap. */
__attribute__((noinline)) static int32_t use_huge_frame(volatile uint8_t *sink) {
  volatile uint8_t big[1 << 20];
  big[0] = *sink;
  big[sizeof big - 1] = 2;
  return big[0] + big[sizeof big - 1];
}

ATTACK(huge_stack_array) {
  UNUSED;
  static volatile uint8_t sink = 1;
  *result = hlg_i32(use_huge_frame(&sink));
  return HLG_OK;
}

/* Copies a `ret` into the heap (no execute permission) and calls it. */
ATTACK(execute_heap) {
  UNUSED;
  volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)hlg_peb->heap + hlg_peb->heap_size - 64;
  code[0] = 0xC3;
  void (*fn)(void) = (void (*)(void))(uintptr_t)code;
  fn();
  return HLG_OK;
}

static volatile uintptr_t g_null_plus_8 = 8; /* opaque, so the compiler cannot see the null write */

ATTACK(write_null) {
  UNUSED;
  *(volatile uint64_t *)g_null_plus_8 = 1;
  return HLG_OK;
}

/* Grows the stack by alloca in a loop until it runs out. */
static volatile uint32_t g_alloca_rounds = 0xFFFFFFFFu;

ATTACK(alloca_forever) {
  UNUSED;
  uint32_t total = 0;
  for (uint32_t i = 0; i < g_alloca_rounds; i++) {
    volatile uint8_t *chunk = __builtin_alloca(1024);
    chunk[0] = (uint8_t)i;
    total += chunk[0];
  }
  *result = hlg_i32((int32_t)total);
  return HLG_OK;
}

ATTACK(return_wrong_kind) {
  UNUSED;
  *result = hlg_string("not an i32");
  return HLG_OK;
}

void hyperlight_main(void) {
  /* Init data "spin-in-init" makes the initialisation itself hang, for the
   * host's initialisation time limit. */
  const uint8_t *init = 0;
  size_t init_len = 0;
  static const char kSpin[] = "spin-in-init";
  if (hlg_init_data(&init, &init_len) && init_len == sizeof kSpin - 1 && memcmp(init, kSpin, init_len) == 0)
    for (;;) __asm__ volatile("pause");
  static const struct {
    const char *name;
    hlg_function fn;
    uint8_t ret;
  } attacks[] = {
      {"GarbageOutput", garbage_output, HLG_VOID},
      {"HugeLengthOutput", huge_length_output, HLG_VOID},
      {"StringPastEnd", string_past_end, HLG_VOID},
      {"BadResultKind", bad_result_kind, HLG_VOID},
      {"EmptyDone", empty_done, HLG_VOID},
      {"ReadyInsteadOfResult", ready_instead_of_result, HLG_VOID},
      {"NonZeroHeaderPadding", nonzero_header_padding, HLG_VOID},
      {"HostCallNonZeroPadding", host_call_nonzero_padding, HLG_VOID},
      {"ForgedCancel", forged_cancel, HLG_VOID},
      {"HostCall4GiBString", host_call_4gib_string, HLG_VOID},
      {"HostCallGarbage", host_call_garbage, HLG_VOID},
      {"CallUnregisteredHostFunction", call_unregistered_host_function, HLG_VOID},
      {"SpinInHostCalls", spin_in_host_calls, HLG_VOID},
      {"OutUnknownPort", out_unknown_port, HLG_VOID},
      {"OutByte", out_byte, HLG_VOID},
      {"OutByteUnknownPort", out_byte_unknown_port, HLG_VOID},
      {"OutWord", out_word, HLG_VOID},
      {"OutWordUnknownPort", out_word_unknown_port, HLG_VOID},
      {"InFromClosedPort", in_from_closed_port, HLG_I32},
      {"InFromPort", in_from_port, HLG_I32},
      {"RepOuts", rep_outs, HLG_VOID},
      {"OutExceptionPort", out_exception_port, HLG_VOID},
      {"SmashStack", smash_stack, HLG_VOID},
      {"Breakpoint", breakpoint, HLG_VOID},
      {"SoftwareInterrupt", software_interrupt, HLG_VOID},
      {"Halt", halt, HLG_VOID},
      {"DisableInterrupts", disable_interrupts, HLG_VOID},
      {"WriteMsr", write_msr, HLG_VOID},
      {"LoadCr3", load_cr3, HLG_VOID},
      {"LoadLdtSelector", load_ldt_selector, HLG_VOID},
      {"LoadHighLdtSelector", load_high_ldt_selector, HLG_VOID},
      {"StoreGdtRegister", store_gdt_register, HLG_I64},
      {"WritePastHeap", write_past_heap, HLG_VOID},
      {"SystemCall", system_call, HLG_VOID},
      {"JumpToZero", jump_to_zero, HLG_VOID},
      {"ExecuteStack", execute_stack, HLG_VOID},
      {"ReadAboveMemory", read_above_memory, HLG_I64},
      {"WriteAboveMemory", write_above_memory, HLG_VOID},
      {"WritePageTables", write_page_tables, HLG_VOID},
      {"WritePeb", write_peb, HLG_VOID},
      {"RecurseForever", recurse_forever, HLG_I32},
      {"HugeStackArray", huge_stack_array, HLG_I32},
      {"AllocaForever", alloca_forever, HLG_I32},
      {"ExecuteHeap", execute_heap, HLG_VOID},
      {"WriteNull", write_null, HLG_VOID},
      {"ReturnWrongKind", return_wrong_kind, HLG_I32},
  };
  for (uint32_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
    hlg_register(attacks[i].name, attacks[i].fn, attacks[i].ret, 0, 0);
}
