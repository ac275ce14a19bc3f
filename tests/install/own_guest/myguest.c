/* A guest built outside the repository against the installed SDK
 * (tests/install/run.sh): a typed export, a host call, and a function that
 * hyperlight_main registers at run time, so calling it proves that ran. */
#include <stdio.h>
#include <string.h>

#include "hyperlight_guest.h"

static int32_t multiply(int32_t a, int32_t b) { return a * b; }
HLG_EXPORT_AS("Multiply", i32, multiply, i32, i32);

static int32_t add_via_host(int32_t a, int32_t b) {
  int32_t sum = 0;
  uint32_t status = HLG_CALL_HOST(i32, &sum, "HostAdd", hlg_i32(a), hlg_i32(b));
  if (status != HLG_OK) hlg_fail(status, "%s", hlg_last_host_error());
  return sum;
}
HLG_EXPORT_AS("AddViaHost", i32, add_via_host, i32, i32);

static uint32_t subtract(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  *result = hlg_i32(args[0].of.i32 - args[1].of.i32);
  return HLG_OK;
}

void hyperlight_main(void) {
  static const uint8_t two_i32[] = {HLG_I32, HLG_I32};
  char line[64];
  snprintf(line, sizeof line, "myguest: registering %s", "Subtract");
  if (strlen(line) > 0) puts(line);
  hlg_register("Subtract", subtract, HLG_I32, 2, two_i32);
}
