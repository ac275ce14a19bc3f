package hyperlight

/*
#include "hyperlight.h"
*/
import "C"

// Error is an error reported by hyperlight, or by these bindings before
// reaching it: a stable code and a message naming what is at fault.
type Error struct {
	// Code is the stable HL_ERROR_* code.
	Code ErrorCode
	// Message is the human-readable explanation.
	Message string
}

// Error returns the message followed by the C name of the code, such as
// "hyperlight: hl_call: 33 arguments, at most 32 (HL_ERROR_INVALID_ARGUMENT)".
func (e *Error) Error() string {
	return "hyperlight: " + e.Message + " (" + e.Code.String() + ")"
}

// Is reports whether target is an *Error with the same Code; the messages
// are not compared. It lets errors.Is match on the code alone:
//
//	errors.Is(err, &hyperlight.Error{Code: hyperlight.ErrorCancelled})
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && t.Code == e.Code
}

func newError(code ErrorCode, message string) *Error {
	return &Error{Code: code, Message: message}
}

// takeError converts a C error into an *Error and frees it; it returns nil
// (as a nil error interface) for NULL.
func takeError(cerr *C.hl_error_t) error {
	if cerr == nil {
		return nil
	}
	err := &Error{
		Code:    ErrorCode(C.hl_error_code(cerr)),
		Message: C.GoString(C.hl_error_message(cerr)),
	}
	C.hl_error_delete(cerr)
	return err
}
