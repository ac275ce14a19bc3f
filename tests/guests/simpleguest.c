/* The test guest used by the integration tests, examples, bindings and
 * benchmarks. Each function exercises one path of the host/guest ABI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyperlight_guest.h"

static uint32_t add(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  *result = hlg_i32((int32_t)((uint32_t)args[0].of.i32 + (uint32_t)args[1].of.i32));
  return HLG_OK;
}

static uint32_t add_i64(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  *result = hlg_i64((int64_t)((uint64_t)args[0].of.i64 + (uint64_t)args[1].of.i64));
  return HLG_OK;
}

/* Returns its argument: the result points into the input buffer. */
static uint32_t echo(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  *result = args[0];
  return HLG_OK;
}

static uint32_t add_via_host(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  hlg_val host_result;
  uint32_t status = hlg_call_host("HostAdd", args, 2, &host_result);
  if (status != HLG_OK) return status; /* the host's message travels along */
  if (host_result.kind != HLG_I32) return hlg_error(HLG_ERROR_GUEST_ERROR, "HostAdd did not return an i32");
  *result = host_result;
  return HLG_OK;
}

/* Calls HostAdd(i, 1) n times: many host calls inside one guest call. */
static uint32_t count_via_host(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  int32_t value = 0;
  for (int32_t i = 0; i < args[0].of.i32; i++) {
    hlg_val pair[2] = {hlg_i32(value), hlg_i32(1)};
    hlg_val r;
    uint32_t status = hlg_call_host("HostAdd", pair, 2, &r);
    if (status != HLG_OK) return status;
    value = r.of.i32;
  }
  *result = hlg_i32(value);
  return HLG_OK;
}

/* Passes a string through the host function HostEcho. */
static uint32_t echo_via_host(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  uint32_t status = hlg_call_host("HostEcho", args, 1, result);
  return status;
}

/* Calls the void host function HostNotify(i32) and returns its argument, once
 * the host has answered with a void result. */
static uint32_t notify_via_host(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  hlg_val host_result;
  uint32_t status = hlg_call_host("HostNotify", args, 1, &host_result);
  if (status != HLG_OK) return status; /* the host's message travels along */
  if (host_result.kind != HLG_VOID) return hlg_error(HLG_ERROR_GUEST_ERROR, "HostNotify did not return void");
  *result = args[0];
  return HLG_OK;
}

static uint32_t get_cpl(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)args;
  (void)nargs;
  uint16_t cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  *result = hlg_i32(cs & 3);
  return HLG_OK;
}

static uint32_t print_hello(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)args;
  (void)nargs;
  hlg_print("Hello from the guest!\n");
  *result = hlg_void();
  return HLG_OK;
}

static uint32_t spin(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)args;
  (void)nargs;
  static volatile int keep_spinning = 1; /* never cleared: only hl_kill ends this */
  while (keep_spinning) {
  }
  *result = hlg_void();
  return HLG_OK;
}

static uint32_t fail_with_message(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  (void)result;
  return hlg_error(HLG_ERROR_GUEST_ERROR, (const char *)args[0].of.buf.ptr);
}

static uint32_t abort_with_code(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  (void)result;
  hlg_abort((uint32_t)args[0].of.i32, "abort requested by the test");
}

static uint32_t undefined_instruction(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)args;
  (void)nargs;
  (void)result;
  __asm__ volatile("ud2");
  return HLG_OK;
}

/* Reads a 64-bit value from any guest address (tests page protections). */
static uint32_t read_address(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  *result = hlg_i64(*(volatile int64_t *)(uintptr_t)args[0].of.i64);
  return HLG_OK;
}

static uint32_t write_address(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  *(volatile int64_t *)(uintptr_t)args[0].of.i64 = 0x5a5a;
  *result = hlg_void();
  return HLG_OK;
}

/* Writes to a port the I/O bitmap keeps closed. */
static uint32_t out_to_closed_port(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)args;
  (void)nargs;
  (void)result;
  __asm__ volatile("outl %0, %1" : : "a"(0), "Nd"((uint16_t)0x80));
  return HLG_OK;
}

/* Sends each of its nine arguments (one of every kind) through the host
 * function "HostEcho<kind>" and counts the ones that come back bit-exact. */
static int same_value(const hlg_val *a, const hlg_val *b) {
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
    case HLG_STRING:
    case HLG_BYTES: return a->of.buf.len == b->of.buf.len && memcmp(a->of.buf.ptr, b->of.buf.ptr, a->of.buf.len) == 0;
    case HLG_I32:
    case HLG_U32:
    case HLG_F32: return a->of.u32 == b->of.u32;
    case HLG_BOOL: return a->of.boolean == b->of.boolean;
    default: return a->of.u64 == b->of.u64;
  }
}

static uint32_t echo_all_via_host(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  static const char *const names[] = {"HostEchoI32", "HostEchoU32",  "HostEchoI64",    "HostEchoU64",  "HostEchoF32",
                                      "HostEchoF64", "HostEchoBool", "HostEchoString", "HostEchoBytes"};
  int32_t matches = 0;
  for (uint32_t i = 0; i < nargs; i++) {
    hlg_val back;
    uint32_t status = hlg_call_host(names[i], &args[i], 1, &back);
    if (status != HLG_OK) return status;
    matches += same_value(&args[i], &back);
  }
  *result = hlg_i32(matches);
  return HLG_OK;
}

/* Eleven parameters of mixed kinds, folded into one i64. */
static uint32_t mix11(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  int64_t sum = args[0].of.i32 + (int64_t)args[1].of.u32 + args[2].of.i64 + (int64_t)args[3].of.u64 +
                (int64_t)args[4].of.f32 + (int64_t)args[5].of.f64 + args[6].of.boolean + args[7].of.buf.len +
                args[8].of.buf.len + args[9].of.i32 + args[10].of.i64;
  *result = hlg_i64(sum);
  return HLG_OK;
}

/* Busy for n iterations of pure computation (no exits): a long, finite call. */
static uint32_t spin_for(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  uint64_t x = 1;
  for (int64_t i = 0; i < args[0].of.i64; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    __asm__ volatile("" : "+r"(x));
  }
  *result = hlg_i64((int64_t)x);
  return HLG_OK;
}

static uint32_t read_counter(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)args;
  (void)nargs;
  *result = hlg_i64((int64_t)hlg_counter());
  return HLG_OK;
}

/* The init-data blob as bytes (empty when there is none). */
static uint32_t get_init_data(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)args;
  (void)nargs;
  const uint8_t *data;
  size_t len;
  hlg_init_data(&data, &len);
  result->kind = HLG_BYTES;
  result->of.buf.ptr = data;
  result->of.buf.len = (uint32_t)len;
  return HLG_OK;
}

/* Writes to the init-data blob: allowed only when the host chose HL_MAP_WRITE. */
static uint32_t write_init_data(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)args;
  (void)nargs;
  const uint8_t *data;
  size_t len;
  if (!hlg_init_data(&data, &len)) return hlg_error(HLG_ERROR_GUEST_ERROR, "no init data");
  *(volatile uint8_t *)data = 0xEE;
  *result = hlg_i32(*data);
  return HLG_OK;
}

/* Init data "many-functions" adds 300 functions with 250-byte names: a table
 * of about 77 KB, more than the default 64 KiB output buffer, so the guest
 * then starts without declaring a table (a larger buffer carries it). */
static void register_many_functions(void) {
  static const char kMany[] = "many-functions";
  const uint8_t *init = 0;
  size_t init_len = 0;
  if (!hlg_init_data(&init, &init_len) || init_len != sizeof kMany - 1 || memcmp(init, kMany, init_len) != 0) return;
  for (unsigned i = 0; i < 300; i++) {
    char *name = (char *)malloc(251); /* kept: the runtime holds the pointer */
    int n = snprintf(name, 251, "Filler%03u", i);
    memset(name + n, 'x', 250 - (size_t)n);
    name[250] = 0;
    hlg_register(name, read_counter, HLG_I64, 0, 0);
  }
}

void hyperlight_main(void) {
  register_many_functions();
  static const uint8_t all_kinds[] = {HLG_I32, HLG_U32,  HLG_I64,    HLG_U64,  HLG_F32,
                                      HLG_F64, HLG_BOOL, HLG_STRING, HLG_BYTES};
  static const uint8_t eleven[] = {HLG_I32,  HLG_U32,    HLG_I64,   HLG_U64, HLG_F32, HLG_F64,
                                   HLG_BOOL, HLG_STRING, HLG_BYTES, HLG_I32, HLG_I64};
  hlg_register("EchoAllViaHost", echo_all_via_host, HLG_I32, 9, all_kinds);
  hlg_register("Mix11", mix11, HLG_I64, 11, eleven);
  hlg_register("ReadCounter", read_counter, HLG_I64, 0, 0);
  static const uint8_t one_i64_param[] = {HLG_I64};
  hlg_register("SpinFor", spin_for, HLG_I64, 1, one_i64_param);
  hlg_register("GetInitData", get_init_data, HLG_BYTES, 0, 0);
  hlg_register("WriteInitData", write_init_data, HLG_I32, 0, 0);
  static const uint8_t two_i32[] = {HLG_I32, HLG_I32};
  static const uint8_t two_i64[] = {HLG_I64, HLG_I64};
  static const uint8_t one_i32[] = {HLG_I32};
  static const uint8_t one_i64[] = {HLG_I64};
  static const uint8_t one_string[] = {HLG_STRING};
  hlg_register("Add", add, HLG_I32, 2, two_i32);
  hlg_register("AddI64", add_i64, HLG_I64, 2, two_i64);
  hlg_register("Echo", echo, HLG_STRING, 1, one_string);
  hlg_register("AddViaHost", add_via_host, HLG_I32, 2, two_i32);
  hlg_register("CountViaHost", count_via_host, HLG_I32, 1, one_i32);
  hlg_register("EchoViaHost", echo_via_host, HLG_STRING, 1, one_string);
  hlg_register("NotifyViaHost", notify_via_host, HLG_I32, 1, one_i32);
  hlg_register("GetCpl", get_cpl, HLG_I32, 0, 0);
  hlg_register("PrintHello", print_hello, HLG_VOID, 0, 0);
  hlg_register("Spin", spin, HLG_VOID, 0, 0);
  hlg_register("FailWithMessage", fail_with_message, HLG_VOID, 1, one_string);
  hlg_register("Abort", abort_with_code, HLG_VOID, 1, one_i32);
  hlg_register("UndefinedInstruction", undefined_instruction, HLG_VOID, 0, 0);
  hlg_register("ReadAddress", read_address, HLG_I64, 1, one_i64);
  hlg_register("WriteAddress", write_address, HLG_VOID, 1, one_i64);
  hlg_register("OutToClosedPort", out_to_closed_port, HLG_VOID, 0, 0);
}
