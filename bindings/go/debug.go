package hyperlight

/*
#include <stdlib.h>
#include "hyperlight.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"unsafe"
)

// Crashdump writes an ELF core file of the guest as it is now to path,
// which must not exist: its registers and its memory at guest addresses,
// for gdb GUEST.elf PATH (docs/debugging.md). It works between calls, also
// on a poisoned sandbox. Config.CrashdumpDir makes guest faults write one
// by themselves.
//
// Errors include ErrorIo (path exists or cannot be written; the message
// names it and why), ErrorBusy (a call is running) and
// ErrorInvalidArgument (a closed sandbox, or a path with a NUL byte).
func (s *Sandbox) Crashdump(path string) error {
	if strings.IndexByte(path, 0) >= 0 {
		return newError(ErrorInvalidArgument, "Crashdump: the path contains a NUL byte")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	ptr, err := s.acquire("Crashdump")
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if !s.calling.CompareAndSwap(false, true) {
		return newError(ErrorBusy, "Crashdump: the sandbox is busy: a call is running")
	}
	defer s.calling.Store(false)
	cerr := C.hl_sandbox_crashdump(ptr, cpath)
	runtime.KeepAlive(s)
	return takeError(cerr)
}
