package hyperlight

/*
#include "hyperlight.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// GuestFunction is one function of a guest's function table: what Call
// checks a call against before entering the guest.
type GuestFunction struct {
	// Name is the name to call it by. It comes from the guest: treat it
	// as untrusted text (it need not be valid UTF-8).
	Name string
	// Params are the parameter kinds, in order (never KindVoid).
	Params []ValKind
	// Result is the result kind, KindVoid for a function that returns
	// nothing.
	Result ValKind
}

// GuestFunctions returns the functions the guest declared in its function
// table when it started (for a sandbox made from or restored to a
// snapshot: when the snapshot's guest started), in byte order of their
// names, and flags that say whether the guest declared a table at all
// (GuestTableDeclared) and whether it has a fallback that takes calls to
// other names (GuestTableFallback).
//
// A guest without a table (flags lack GuestTableDeclared) returns no
// functions; it checks its calls itself. Guests built with the guest SDK
// declare one unless it does not fit Config.OutputBufferSize.
//
// The result is a copy: later restores do not change it. Errors:
// ErrorBusy while a call, Snapshot or Restore runs on the sandbox, and
// ErrorInvalidArgument for a closed sandbox.
func (s *Sandbox) GuestFunctions() ([]GuestFunction, GuestTableFlag, error) {
	ptr, err := s.acquire("GuestFunctions")
	if err != nil {
		return nil, 0, err
	}
	defer s.mu.RUnlock()
	// A restore may replace the table (and free the memory the C strings
	// point into): none may run while it is read.
	if !s.calling.CompareAndSwap(false, true) {
		return nil, 0, newError(ErrorBusy, "GuestFunctions: the sandbox is busy: a call is running")
	}
	defer s.calling.Store(false)
	defer runtime.KeepAlive(s)

	var count C.size_t
	var flags C.uint32_t
	if err := takeError(C.hl_sandbox_guest_function_count(ptr, &count, &flags)); err != nil {
		return nil, 0, err
	}
	functions := make([]GuestFunction, 0, int(count))
	for i := C.size_t(0); i < count; i++ {
		var name *C.char
		var nameLen, nparams C.size_t
		var result C.hl_val_kind_t
		var params *C.hl_val_kind_t
		cerr := C.hl_sandbox_guest_function(ptr, i, &name, &nameLen, &result, &params, &nparams)
		if err := takeError(cerr); err != nil {
			return nil, 0, err
		}
		fn := GuestFunction{Name: C.GoStringN(name, C.int(nameLen)), Result: ValKind(result)}
		if nparams > 0 {
			kinds := unsafe.Slice((*ValKind)(unsafe.Pointer(params)), int(nparams))
			fn.Params = append([]ValKind(nil), kinds...) // a copy: the C array belongs to the sandbox
		}
		functions = append(functions, fn)
	}
	return functions, GuestTableFlag(flags), nil
}
