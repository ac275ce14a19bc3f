/* Includes every installed guest SDK header. tests/install/run.sh compiles
 * it with -nostdinc and only the SDK directory and the compiler's own
 * freestanding headers on the path: the SDK must need nothing else. */
#include <assert.h>
#include <ctype.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hl_abi.h"
#include "hl_wire.h"
#include "hyperlight_guest.h"

int every_header_compiles(void) { return (int)strlen("ok") + isdigit('1'); }
