package hyperlight

/*
#include <stdint.h>
#include <stdlib.h>
#include "hyperlight.h"

hl_error_t *hlgo_host_fn(void *user_data, const hl_val_t *args, size_t nargs, hl_val_t *result);
void hlgo_finalizer(void *user_data);

// hlgo_host_functions_add adds the trampolines with a cgo.Handle as
// user_data, as hlgo_register does for one sandbox.
static hl_error_t *hlgo_host_functions_add(hl_host_functions_t *set, const char *name,
                                           const hl_val_kind_t *param_kinds, size_t nparams,
                                           hl_val_kind_t return_kind, uintptr_t handle) {
  return hl_host_functions_add(set, name, param_kinds, nparams, return_kind, hlgo_host_fn, (void *)handle,
                               hlgo_finalizer);
}
*/
import "C"

import (
	"runtime"
	"sync"
)

// HostFunctions is a set of Go host functions that many sandboxes share:
// name it in Config.HostFunctions and every sandbox made with that Config
// (NewSandbox, NewSandboxFromBytes, NewSandboxFromSnapshot) can call its
// functions, from the guest's initialisation on. The functions are
// registered once for all of those sandboxes, not once per sandbox.
//
//	fns, err := hyperlight.NewHostFunctions()
//	defer fns.Close() // sandboxes made with it keep it alive
//	err = fns.Add("HostAdd", func(a, b int32) int32 { return a + b })
//	cfg := &hyperlight.Config{HostFunctions: fns}
//	sb1, err := hyperlight.NewSandbox("simpleguest.elf", cfg)
//	sb2, err := hyperlight.NewSandboxFromSnapshot(snap, cfg)
//
// A set can change only until the first sandbox is made with it (also one
// whose creation fails); then it is frozen and Add fails with
// ErrorHostFunctionsFrozen: make a new set for other functions. Each
// sandbox may still Register functions of other names for itself.
//
// NewSandboxFromSnapshot with a set checks at once that the set has every
// host function that was registered on the sandbox the snapshot was taken
// from, with the same signature, and fails with ErrorSnapshotMismatch
// naming the first that it lacks. (Without a set nothing is checked at
// creation: Register them on the new sandbox.)
//
// A HostFunctions may be used from any number of goroutines at once.
type HostFunctions struct {
	// mu protects ptr: Add and Config.toC hold it for reading while they
	// use ptr; Close takes it for writing.
	mu  sync.RWMutex
	ptr *C.hl_host_functions_t
}

// NewHostFunctions makes an empty set. Close it when done (a finalizer does
// so for a forgotten one).
func NewHostFunctions() (*HostFunctions, error) {
	var ptr *C.hl_host_functions_t
	if err := takeError(C.hl_host_functions_new(&ptr)); err != nil {
		return nil, err
	}
	h := &HostFunctions{ptr: ptr}
	runtime.SetFinalizer(h, (*HostFunctions).Close)
	return h, nil
}

// Add makes the Go function fn callable as name by the guests of sandboxes
// made with this set. fn's signature follows the rules of Sandbox.Register,
// and it runs the same way: on the goroutine that called Call, with the
// same errors for a returned error or a panic. Unlike a function given to
// Register, fn may run on several goroutines at once, one per sandbox in a
// call, so whatever it shares must be safe for concurrent use.
//
// Adding a name the set has fails with ErrorAlreadyRegistered; adding to a
// frozen set (see HostFunctions) with ErrorHostFunctionsFrozen; adding to a
// closed set with ErrorInvalidArgument. fn stays referenced until the set
// is closed and every Config use and sandbox made with it is gone.
func (h *HostFunctions) Add(name string, fn any) error {
	hf, err := newHostFunc("HostFunctions.Add", name, fn)
	if err != nil {
		return err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.ptr == nil {
		return newError(ErrorInvalidArgument, "HostFunctions.Add: the set is closed")
	}
	// hlgoFinalize deletes the handle when the set's last holder lets go of
	// it, or at once if adding fails.
	err = hf.handOver(name, func(cname *C.char, kinds *C.hl_val_kind_t, n C.size_t, result C.hl_val_kind_t,
		handle C.uintptr_t) *C.hl_error_t {
		return C.hlgo_host_functions_add(h.ptr, cname, kinds, n, result, handle)
	})
	runtime.KeepAlive(h)
	return err
}

// Close drops this HostFunctions' reference to the set and returns nil;
// closing a closed set does nothing. Sandboxes made with it keep their own,
// so its functions stay callable while they live; the functions are
// released when the last of those sandboxes is closed. A Config naming a
// closed set fails with ErrorInvalidArgument when a sandbox is created with
// it.
func (h *HostFunctions) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr == nil {
		return nil
	}
	runtime.SetFinalizer(h, nil)
	C.hl_host_functions_delete(h.ptr)
	h.ptr = nil
	return nil
}

// setOn names the set in the C config, which takes a reference of its
// own; a nil set names none. It fails if h is closed.
func (h *HostFunctions) setOn(config *C.hl_config_t) error {
	if h == nil {
		return nil
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.ptr == nil {
		return newError(ErrorInvalidArgument, "Config.HostFunctions: the set is closed")
	}
	err := takeError(C.hl_config_set_host_functions(config, h.ptr))
	runtime.KeepAlive(h)
	return err
}
