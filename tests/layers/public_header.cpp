// Compiled by the layers.public_header_outside_capi_fails test with the
// flags of the engine layer (the highest below capi): only src/capi may see
// include/hyperlight.h, so this include must not be found there.
#include "hyperlight.h"
