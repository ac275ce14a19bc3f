/* Test guest for typed host functions (tests/integration/typed_functions_test.cpp):
 * it registers no functions, only a fallback that forwards every call "X"
 * to the host function "HostX" with the same arguments and returns whatever
 * that returns. So one guest reaches host functions of any signature. */
#include <string.h>

#include "hyperlight_guest.h"

static uint32_t forward_to_host(const char *name, const hlg_val *args, uint32_t nargs, hlg_val *result) {
  char host_name[4 + 255 + 1] = "Host";
  size_t len = strlen(name);
  if (len > 255) return hlg_error(HLG_ERROR_GUEST_FUNCTION_NOT_FOUND, "name longer than 255 bytes");
  memcpy(host_name + 4, name, len + 1);
  return hlg_call_host(host_name, args, nargs, result); /* the host's error travels along */
}

void hyperlight_main(void) { hlg_register_fallback(forward_to_host); }
