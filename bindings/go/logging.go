package hyperlight

/*
#include <stdint.h>
#include "hyperlight.h"

// The trampoline in callbacks.c, which calls hlgoLog.
void hlgo_log_fn(void *user_data, hl_log_level_t level, const char *file, size_t file_len, uint32_t line,
                 const char *message, size_t message_len);

// hlgo_set_log_callback sets the trampoline as the config's log callback,
// with a cgo.Handle as user_data (made a void * here, in C, so that Go never
// holds it as an unsafe.Pointer).
static hl_error_t *hlgo_set_log_callback(hl_config_t *config, uintptr_t handle) {
  return hl_config_set_log_callback(config, hlgo_log_fn, (void *)handle);
}
*/
import "C"

import (
	"runtime/cgo"
	"sync/atomic"
	"unsafe"
)

// liveLoggers counts the cgo handles of Config.Logger functions that are not
// deleted yet (a test hook).
var liveLoggers atomic.Int64

// logFunc is the type of Config.Logger.
type logFunc = func(level LogLevel, file string, line uint32, message string)

// setLogger makes a handle for fn and sets it, with the trampoline, as the
// log callback of config. The caller deletes the handle with deleteLogger
// once no sandbox made with config exists, also when setLogger fails.
func setLogger(config *C.hl_config_t, fn logFunc) (cgo.Handle, *C.hl_error_t) {
	handle := cgo.NewHandle(fn)
	liveLoggers.Add(1)
	return handle, C.hlgo_set_log_callback(config, C.uintptr_t(handle))
}

// deleteLogger deletes a handle made by setLogger; 0 is ignored.
func deleteLogger(handle cgo.Handle) {
	if handle != 0 {
		handle.Delete()
		liveLoggers.Add(-1)
	}
}

// logRecord passes a guest log record to the Logger behind handle. The C
// strings are valid only during the callback: the Logger gets copies.
func logRecord(handle C.uintptr_t, level C.hl_log_level_t, file *C.char, fileLen C.size_t, line C.uint32_t,
	message *C.char, messageLen C.size_t) {
	defer func() {
		_ = recover() // a panicking Logger loses its record, nothing more
	}()
	fn, ok := cgo.Handle(handle).Value().(logFunc)
	if !ok {
		return
	}
	fn(LogLevel(level), copyString(file, fileLen), uint32(line), copyString(message, messageLen))
}

// copyString copies n bytes of C text at p into a Go string.
func copyString(p *C.char, n C.size_t) string {
	if p == nil || n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
}
