package hyperlight

/*
#include <stdlib.h>
#include "hyperlight.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"
)

// goTypes maps each kind but KindVoid to the Go type that carries it.
var goTypes = [...]reflect.Type{
	KindI32:    reflect.TypeOf(int32(0)),
	KindU32:    reflect.TypeOf(uint32(0)),
	KindI64:    reflect.TypeOf(int64(0)),
	KindU64:    reflect.TypeOf(uint64(0)),
	KindF32:    reflect.TypeOf(float32(0)),
	KindF64:    reflect.TypeOf(float64(0)),
	KindBool:   reflect.TypeOf(false),
	KindString: reflect.TypeOf(""),
	KindBytes:  reflect.TypeOf([]byte(nil)),
}

// kindOf returns the kind carried by Go type t: one of the types in goTypes
// or a named type with one of them as its underlying type.
func kindOf(t reflect.Type) (ValKind, bool) {
	for k, gt := range goTypes {
		if gt == nil || t.Kind() != gt.Kind() {
			continue
		}
		if t.Kind() == reflect.Slice && t.Elem() != gt.Elem() {
			return KindVoid, false
		}
		return ValKind(k), true
	}
	return KindVoid, false
}

// unsupportedType explains why Go type t cannot cross into a sandbox.
func unsupportedType(t reflect.Type) string {
	msg := fmt.Sprintf("Go type %v has no hyperlight kind (supported: int32, uint32, int64, uint64, float32, float64, bool, string, []byte)", t)
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uintptr:
		msg += "; convert it to int32, uint32, int64 or uint64"
	}
	return msg
}

// normalize returns v as exactly one of the types in goTypes, and its kind.
func normalize(v any) (any, ValKind, error) {
	switch x := v.(type) {
	case int32:
		return x, KindI32, nil
	case uint32:
		return x, KindU32, nil
	case int64:
		return x, KindI64, nil
	case uint64:
		return x, KindU64, nil
	case float32:
		return x, KindF32, nil
	case float64:
		return x, KindF64, nil
	case bool:
		return x, KindBool, nil
	case string:
		return x, KindString, nil
	case []byte:
		return x, KindBytes, nil
	case nil:
		return nil, KindVoid, errors.New("nil has no hyperlight kind")
	}
	t := reflect.TypeOf(v)
	k, ok := kindOf(t)
	if !ok {
		return nil, KindVoid, errors.New(unsupportedType(t))
	}
	return reflect.ValueOf(v).Convert(goTypes[k]).Interface(), k, nil
}

// cBuf mirrors the {ptr, len} member of hl_val_t.of (string and bytes).
type cBuf struct {
	ptr unsafe.Pointer
	len C.size_t
}

// payload returns the address of v.of, the union holding v's value.
func payload(v *C.hl_val_t) unsafe.Pointer {
	return unsafe.Pointer(&v.of)
}

// copyBytes copies n bytes of C memory at p into a new Go slice.
func copyBytes(p unsafe.Pointer, n C.size_t) []byte {
	out := make([]byte, int(n))
	if n != 0 {
		copy(out, unsafe.Slice((*byte)(p), int(n)))
	}
	return out
}

// goValue returns a Go copy of v (nil for HL_VAL_VOID). v keeps its memory.
func goValue(v *C.hl_val_t) (any, error) {
	p := payload(v)
	switch ValKind(v.kind) {
	case KindVoid:
		return nil, nil
	case KindI32:
		return *(*int32)(p), nil
	case KindU32:
		return *(*uint32)(p), nil
	case KindI64:
		return *(*int64)(p), nil
	case KindU64:
		return *(*uint64)(p), nil
	case KindF32:
		return *(*float32)(p), nil
	case KindF64:
		return *(*float64)(p), nil
	case KindBool:
		return *(*uint8)(p) != 0, nil
	case KindString:
		b := (*cBuf)(p)
		if b.len == 0 {
			return "", nil
		}
		return string(unsafe.Slice((*byte)(b.ptr), int(b.len))), nil
	case KindBytes:
		b := (*cBuf)(p)
		return copyBytes(b.ptr, b.len), nil
	}
	return nil, newError(ErrorInternal, fmt.Sprintf("unknown value kind %d", v.kind))
}

// callBlock is the C memory of one Call, allocated at once:
// the result, the arguments, the NUL-terminated function name and the bytes
// of the string and []byte arguments. C never sees Go memory during a call.
type callBlock struct {
	mem    unsafe.Pointer
	result *C.hl_val_t
	args   *C.hl_val_t // NULL when there are none
	name   *C.char
}

// newCallBlock converts name and args into C memory. It fails with
// ErrorInvalidArgument if an argument has no hyperlight kind.
func newCallBlock(name string, args []any) (*callBlock, error) {
	const valSize = C.sizeof_hl_val_t
	values := make([]any, len(args))
	kinds := make([]ValKind, len(args))
	size := uintptr(valSize*(1+len(args)) + len(name) + 1)
	for i, arg := range args {
		v, k, err := normalize(arg)
		if err != nil {
			return nil, newError(ErrorInvalidArgument, fmt.Sprintf("Call(%q): argument %d: %v", name, i, err))
		}
		values[i], kinds[i] = v, k
		switch x := v.(type) {
		case string:
			size += uintptr(len(x))
		case []byte:
			size += uintptr(len(x))
		}
	}
	mem := C.calloc(1, C.size_t(size))
	if mem == nil {
		return nil, newError(ErrorOutOfMemory, fmt.Sprintf("Call(%q): cannot allocate %d bytes for the arguments", name, size))
	}
	all := unsafe.Slice((*byte)(mem), size)
	b := &callBlock{mem: mem, result: (*C.hl_val_t)(mem)}
	if len(args) > 0 {
		b.args = (*C.hl_val_t)(unsafe.Add(mem, valSize))
	}
	vals := unsafe.Slice((*C.hl_val_t)(mem), 1+len(args))[1:]

	// The name, then the argument bytes; calloc supplied the NUL.
	off := uintptr(valSize * (1 + len(args)))
	b.name = (*C.char)(unsafe.Add(mem, off))
	off += uintptr(copy(all[off:], name)) + 1

	for i, v := range values {
		dst := &vals[i]
		dst.kind = C.hl_val_kind_t(kinds[i])
		p := payload(dst)
		switch x := v.(type) {
		case int32:
			*(*int32)(p) = x
		case uint32:
			*(*uint32)(p) = x
		case int64:
			*(*int64)(p) = x
		case uint64:
			*(*uint64)(p) = x
		case float32:
			*(*float32)(p) = x
		case float64:
			*(*float64)(p) = x
		case bool:
			if x {
				*(*uint8)(p) = 1
			}
		case string:
			off += putBuf((*cBuf)(p), mem, off, copy(all[off:], x))
		case []byte:
			off += putBuf((*cBuf)(p), mem, off, copy(all[off:], x))
		}
	}
	return b, nil
}

// putBuf points buf at the n bytes at mem+off (NULL when n is 0).
func putBuf(buf *cBuf, mem unsafe.Pointer, off uintptr, n int) uintptr {
	if n > 0 {
		buf.ptr = unsafe.Add(mem, off)
	}
	buf.len = C.size_t(n)
	return uintptr(n)
}

func (b *callBlock) free() {
	C.free(b.mem)
}
