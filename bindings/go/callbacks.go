package hyperlight

// The Go side of the C callbacks. cgo cannot take the address of a Go
// function, so the hl_host_fn_t and hl_finalizer_t given to hl_register, the
// hl_finalizer_t given to hl_sandbox_map_region, the hl_log_fn_t given to
// hl_config_set_log_callback and the hl_print_fn_t given to
// hl_config_set_print_callback, are the C trampolines in callbacks.c, which
// call these exported functions.
// (A file with //export may only declare things in its preamble.)

/*
#include <stdint.h>
#include "hyperlight.h"
*/
import "C"

//export hlgoHostCall
func hlgoHostCall(handle C.uintptr_t, args *C.hl_val_t, nargs C.size_t, result *C.hl_val_t) *C.hl_error_t {
	return hostCall(handle, args, nargs, result)
}

//export hlgoFinalize
func hlgoFinalize(handle C.uintptr_t) {
	finalize(handle)
}

//export hlgoLog
func hlgoLog(handle C.uintptr_t, level C.hl_log_level_t, file *C.char, fileLen C.size_t, line C.uint32_t,
	message *C.char, messageLen C.size_t) {
	logRecord(handle, level, file, fileLen, line, message, messageLen)
}

//export hlgoPrint
func hlgoPrint(handle C.uintptr_t, text *C.char, length C.size_t) {
	printText(handle, text, length)
}
