/* Test guest that attacks the host/guest protocol. */
#include "hyperlight_guest.h"

void hyperlight_main(void) {}
