// C trampolines for the callbacks: hyperlight calls these (they match
// hl_host_fn_t, hl_finalizer_t, hl_log_fn_t and hl_print_fn_t), and they call
// the exported Go functions in callbacks.go. user_data is a runtime/cgo.Handle.
#include <stdint.h>

#include "_cgo_export.h"
#include "hyperlight.h"

hl_error_t *hlgo_host_fn(void *user_data, const hl_val_t *args, size_t nargs, hl_val_t *result) {
  return hlgoHostCall((uintptr_t)user_data, (hl_val_t *)args, nargs, result);
}

void hlgo_finalizer(void *user_data) { hlgoFinalize((uintptr_t)user_data); }

void hlgo_log_fn(void *user_data, hl_log_level_t level, const char *file, size_t file_len, uint32_t line,
                 const char *message, size_t message_len) {
  hlgoLog((uintptr_t)user_data, level, (char *)file, file_len, line, (char *)message, message_len);
}

void hlgo_print_fn(void *user_data, const char *text, size_t len) {
  hlgoPrint((uintptr_t)user_data, (char *)text, len);
}
