/* Test guest for the guest SDK (libc subset, typed wrappers). */
#include "hyperlight_guest.h"

void hyperlight_main(void) {}
