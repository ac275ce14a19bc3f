/* What js.elf's files share (not an API). */
#ifndef HYPERLIGHT_JS_GUEST_H
#define HYPERLIGHT_JS_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "duktape.h"

/* hlg_abort codes (the SDK reserves 1000-1099; lua.elf uses 1200-1201). */
#define HLJS_ABORT_INIT 1300u  /* the engine could not be created */
#define HLJS_ABORT_FATAL 1301u /* a Duktape fatal error: an error outside any protected call */

/* js_platform.c: the allocator handed to duk_create_heap, over the guest
 * heap; NULL on exhaustion, never an abort. */
void *hljs_alloc(void *udata, size_t size);
void *hljs_realloc(void *udata, void *ptr, size_t size);
void hljs_free(void *udata, void *ptr);
/* Allocations refused so far (they only grow). */
uint64_t hljs_alloc_failures(void);
void hljs_seed_random(uint64_t seed);

/* js_bridge.c: defines print() and host.call() on the global object. */
void hljs_install_bridge(duk_context *ctx);

#endif
