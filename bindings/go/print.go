package hyperlight

/*
#include <stdint.h>
#include "hyperlight.h"

// The trampoline in callbacks.c, which calls hlgoPrint.
void hlgo_print_fn(void *user_data, const char *text, size_t len);

// hlgo_set_print_callback sets the trampoline as the config's print
// callback, with a cgo.Handle as user_data (made a void * here, in C, so
// that Go never holds it as an unsafe.Pointer).
static hl_error_t *hlgo_set_print_callback(hl_config_t *config, uintptr_t handle) {
  return hl_config_set_print_callback(config, hlgo_print_fn, (void *)handle);
}
*/
import "C"

import (
	"io"
	"runtime/cgo"
	"sync/atomic"
	"unsafe"
)

// livePrinters counts the cgo handles of Config.Print writers that are not
// deleted yet (a test hook).
var livePrinters atomic.Int64

// setPrinter makes a handle for w and sets it, with the trampoline, as the
// print callback of config. The caller deletes the handle with
// deletePrinter once no sandbox made with config exists, also when
// setPrinter fails.
func setPrinter(config *C.hl_config_t, w io.Writer) (cgo.Handle, *C.hl_error_t) {
	handle := cgo.NewHandle(w)
	livePrinters.Add(1)
	return handle, C.hlgo_set_print_callback(config, C.uintptr_t(handle))
}

// deletePrinter deletes a handle made by setPrinter; 0 is ignored.
func deletePrinter(handle cgo.Handle) {
	if handle != 0 {
		handle.Delete()
		livePrinters.Add(-1)
	}
}

// printText writes what the guest printed to the Print writer behind
// handle. The C text is valid only during the callback, and a writer may
// keep what it is given (though io.Writer says it must not): it gets a copy.
func printText(handle C.uintptr_t, text *C.char, length C.size_t) {
	defer func() {
		_ = recover() // a panicking writer loses this output, nothing more
	}()
	w, ok := cgo.Handle(handle).Value().(io.Writer)
	if !ok || length == 0 {
		return
	}
	copied := make([]byte, int(length))
	copy(copied, unsafe.Slice((*byte)(unsafe.Pointer(text)), int(length)))
	_, _ = w.Write(copied) // there is nowhere to report a failed write
}
