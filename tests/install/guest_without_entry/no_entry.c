/* Compiles, but gives the host nothing to call: no HLG_EXPORT and no
 * hyperlight_main. The link must fail with guest_link_checks.ld's message. */
#include "hyperlight_guest.h"

int32_t multiply(int32_t a, int32_t b) { return a * b; }
