package hyperlight

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hyperlight.h"

// The trampolines in callbacks.c, which call hlgoHostCall and hlgoFinalize.
hl_error_t *hlgo_host_fn(void *user_data, const hl_val_t *args, size_t nargs, hl_val_t *result);
void hlgo_finalizer(void *user_data);

// hlgo_register registers the trampolines with a cgo.Handle as user_data.
// The handle is an integer, not a pointer: it becomes a void * here, in C,
// so that Go never holds it as an unsafe.Pointer.
static hl_error_t *hlgo_register(hl_sandbox_t *sandbox, const char *name, const hl_val_kind_t *param_kinds,
                                 size_t nparams, hl_val_kind_t return_kind, uintptr_t handle) {
  return hl_register(sandbox, name, param_kinds, nparams, return_kind, hlgo_host_fn, (void *)handle,
                     hlgo_finalizer);
}

// hlgo_set_string sets val to a copy of a Go string (hl_val_set_string copies).
static hl_error_t *hlgo_set_string(hl_val_t *val, _GoString_ s) {
  return hl_val_set_string(val, _GoStringPtr(s), _GoStringLen(s));
}

// hlgo_error_new makes a host-function error from a Go string without NUL
// bytes. Never NULL: out of memory, it returns hl_error_new's shared
// HL_ERROR_OUT_OF_MEMORY error (NULL would mean success).
static hl_error_t *hlgo_error_new(_GoString_ s) {
  size_t len = _GoStringLen(s);
  char *message = malloc(len + 1);
  if (message == NULL) return hl_error_new("out of memory");
  if (len != 0) memcpy(message, _GoStringPtr(s), len);
  message[len] = 0;
  hl_error_t *err = hl_error_new(message);
  free(message);
  return err;
}
*/
import "C"

import (
	"fmt"
	"reflect"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync/atomic"
	"unsafe"
)

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// liveHostFuncs counts the cgo handles of registered host functions that
// the library has not finalized yet (a test hook).
var liveHostFuncs atomic.Int64

// hostFunc is a registered Go function, reached from C through a cgo.Handle.
type hostFunc struct {
	fn         reflect.Value
	params     []reflect.Type
	kinds      []ValKind
	result     ValKind // KindVoid for no result
	returnsErr bool    // the last result is an error
}

// newHostFunc checks fn's signature and describes it; what names the
// method for messages ("Register", "HostFunctions.Add").
func newHostFunc(what, name string, fn any) (*hostFunc, error) {
	fail := func(format string, args ...any) (*hostFunc, error) {
		return nil, newError(ErrorInvalidArgument, fmt.Sprintf("%s(%q): ", what, name)+fmt.Sprintf(format, args...))
	}
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return fail("the name must be non-empty and contain no NUL byte")
	}
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		return fail("want a func, got %T", fn)
	}
	if v.IsNil() {
		return fail("the func is nil")
	}
	t := v.Type()
	if t.IsVariadic() {
		return fail("variadic funcs are not supported (%v)", t)
	}
	hf := &hostFunc{fn: v, result: KindVoid}
	for i := 0; i < t.NumIn(); i++ {
		k, ok := kindOf(t.In(i))
		if !ok {
			return fail("parameter %d: %s", i, unsupportedType(t.In(i)))
		}
		hf.params = append(hf.params, t.In(i))
		hf.kinds = append(hf.kinds, k)
	}
	outs := t.NumOut()
	if outs > 0 && t.Out(outs-1) == errorType {
		hf.returnsErr = true
		outs--
	}
	switch outs {
	case 0:
	case 1:
		k, ok := kindOf(t.Out(0))
		if !ok {
			return fail("result: %s", unsupportedType(t.Out(0)))
		}
		hf.result = k
	default:
		return fail("want at most one result plus an optional trailing error, got %v", t)
	}
	return hf, nil
}

// Register makes the Go function fn callable by the guest as name.
//
// fn's parameters and its result, if any, must be of the Go types listed in
// the package documentation; it may also return a trailing error, so
// func(int32, int32) int32, func(string) (string, error), func([]byte) error
// and func() are all valid. Anything else fails with ErrorInvalidArgument.
// The guest's arguments are checked against this signature before fn runs.
//
// fn runs on the goroutine that called Call, while that call waits. A
// non-nil error returned by fn, or a panic in fn, fails the guest's host
// call with ErrorHostFunctionFailed and the error's text (or the panic
// value); a guest that passes this on makes Call return it. fn must not call
// runtime.Goexit (t.Fatal, t.FailNow), which cannot be stopped at the C
// boundary. Calling Call or Close on the same sandbox from fn fails with
// ErrorBusy. Strings and []byte arguments given to fn are Go copies that fn
// may keep.
//
// Registering a name twice fails with ErrorAlreadyRegistered, and so does
// a name that the sandbox's Config.HostFunctions has. fn stays referenced
// until the sandbox is closed.
func (s *Sandbox) Register(name string, fn any) error {
	hf, err := newHostFunc("Register", name, fn)
	if err != nil {
		return err
	}
	ptr, err := s.acquire("Register")
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	// hlgoFinalize deletes the handle when the sandbox is closed, or at once
	// if registration fails.
	err = hf.handOver(name, func(cname *C.char, kinds *C.hl_val_kind_t, n C.size_t, result C.hl_val_kind_t,
		handle C.uintptr_t) *C.hl_error_t {
		return C.hlgo_register(ptr, cname, kinds, n, result, handle)
	})
	runtime.KeepAlive(s)
	return err
}

// handOver gives hf to the library through add (hlgo_register or
// hlgo_host_functions_add), with its name and kinds as the C API takes
// them (both are copied by the callee). From the call on, the library owns
// hf's handle: hlgoFinalize deletes it when the library lets go of the
// function, or at once if add fails.
func (hf *hostFunc) handOver(name string, add func(cname *C.char, kinds *C.hl_val_kind_t, n C.size_t,
	result C.hl_val_kind_t, handle C.uintptr_t) *C.hl_error_t) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	kinds := make([]C.hl_val_kind_t, len(hf.kinds))
	for i, k := range hf.kinds {
		kinds[i] = C.hl_val_kind_t(k)
	}
	var kindsPtr *C.hl_val_kind_t
	if len(kinds) > 0 {
		kindsPtr = &kinds[0]
	}
	handle := cgo.NewHandle(hf)
	liveHostFuncs.Add(1)
	return takeError(add(cname, kindsPtr, C.size_t(len(kinds)), C.hl_val_kind_t(hf.result), C.uintptr_t(handle)))
}

// hostCall runs the host function behind handle for the guest.
func hostCall(handle C.uintptr_t, args *C.hl_val_t, nargs C.size_t, result *C.hl_val_t) (cerr *C.hl_error_t) {
	defer func() {
		if r := recover(); r != nil {
			cerr = hostError(fmt.Sprintf("panic: %v", r))
		}
	}()
	hf, ok := cgo.Handle(handle).Value().(*hostFunc)
	if !ok {
		return hostError("hyperlight Go binding: the callback's user data is not a host function")
	}
	if err := hf.call(args, nargs, result); err != nil {
		return hostError(err.Error())
	}
	return nil
}

// call converts the C arguments, calls the Go function and stores its result.
func (hf *hostFunc) call(args *C.hl_val_t, nargs C.size_t, result *C.hl_val_t) error {
	if int(nargs) != len(hf.kinds) {
		return fmt.Errorf("got %d arguments, want %d", nargs, len(hf.kinds))
	}
	in := make([]reflect.Value, len(hf.kinds))
	if len(in) > 0 {
		cargs := unsafe.Slice(args, len(in))
		for i := range in {
			if ValKind(cargs[i].kind) != hf.kinds[i] {
				return fmt.Errorf("argument %d is %v, want %v", i, ValKind(cargs[i].kind), hf.kinds[i])
			}
			x, err := goValue(&cargs[i]) // a Go copy: the C memory is only borrowed
			if err != nil {
				return err
			}
			v := reflect.ValueOf(x)
			if t := hf.params[i]; v.Type() != t {
				v = v.Convert(t)
			}
			in[i] = v
		}
	}
	out := hf.fn.Call(in)
	if hf.returnsErr {
		if e := out[len(out)-1]; !e.IsNil() {
			return e.Interface().(error)
		}
	}
	if hf.result == KindVoid {
		return nil
	}
	return setResult(result, out[0], hf.result)
}

// setResult stores v, of kind k, in the host function's result. Strings and
// bytes are copied into memory the library owns, never pointed at in Go.
func setResult(result *C.hl_val_t, v reflect.Value, k ValKind) error {
	p := payload(result)
	switch k {
	case KindI32:
		*(*int32)(p) = int32(v.Int())
	case KindU32:
		*(*uint32)(p) = uint32(v.Uint())
	case KindI64:
		*(*int64)(p) = v.Int()
	case KindU64:
		*(*uint64)(p) = v.Uint()
	case KindF32:
		*(*float32)(p) = float32(v.Float())
	case KindF64:
		*(*float64)(p) = v.Float()
	case KindBool:
		if v.Bool() {
			*(*uint8)(p) = 1
		} else {
			*(*uint8)(p) = 0
		}
	case KindString:
		return takeError(C.hlgo_set_string(result, v.String()))
	case KindBytes:
		b := v.Bytes()
		var ptr *C.uint8_t
		if len(b) > 0 {
			ptr = (*C.uint8_t)(unsafe.Pointer(&b[0])) // read during the call only
		}
		return takeError(C.hl_val_set_bytes(result, ptr, C.size_t(len(b))))
	}
	result.kind = C.hl_val_kind_t(k)
	return nil
}

// hostError makes the C error a host function returns, with message. The
// library releases whatever the function left in its result.
func hostError(message string) *C.hl_error_t {
	// hl_error_new takes NUL-terminated text: keep NUL bytes visible.
	return C.hlgo_error_new(strings.ReplaceAll(message, "\x00", `\x00`))
}

// finalize deletes a handle the library no longer needs: a host function's
// (Register), or a mapped region's (MapRegion), whose SharedMemory it unpins.
func finalize(handle C.uintptr_t) {
	h := cgo.Handle(handle)
	v := h.Value()
	h.Delete()
	switch v := v.(type) {
	case *hostFunc:
		liveHostFuncs.Add(-1)
	case *SharedMemory:
		v.unpin()
	}
}
