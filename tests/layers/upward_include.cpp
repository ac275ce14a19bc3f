// Compiled by the layers.upward_include_fails test against the snapshot
// layer's include root: the sandbox layer sits above it, so this include
// must not be found. If this file ever compiles, the layers are not enforced.
#include "sandbox/sandbox.h"
