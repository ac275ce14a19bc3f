/* What js.elf's files share (not an API). */
#ifndef HYPERLIGHT_JS_GUEST_H
#define HYPERLIGHT_JS_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "duktape.h"

/* hlg_abort code for a Duktape fatal error (the SDK reserves 1000-1099). */
#define HLJS_ABORT_FATAL 1100u

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
