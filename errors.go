package ferry

import (
	"errors"
	"fmt"
)

// Error codes. Each protocol adapter maps them to its wire errors in one table.
const (
	EINTERNAL     = "internal"
	EINVALID      = "invalid"        // a parameter is out of range or malformed
	EINVALIDJSON  = "invalid_json"   // a payload that must be JSON is not
	ENOTFOUND     = "not_found"      // function, queue, topic, bus, rule
	ECONFLICT     = "conflict"       // already exists, or in use
	ETOOLARGE     = "too_large"      // payload over the limit
	ETHROTTLED    = "throttled"      // no concurrency available
	EUNAVAILABLE  = "unavailable"    // the service is stopping or not ready
	ERECEIPT      = "bad_receipt"    // a receipt handle is invalid
	EUNAUTHORIZED = "unauthorized"   // missing or bad credentials
	ESIGNATURE    = "bad_signature"  // signature does not match
	ELOOP         = "recursive_loop" // an event chain passed the recursion limit
	ERUNTIME      = "bad_runtime"    // the function's runtime is one Ferry cannot run
)

// Error is an error with a code. Err, when set, is the underlying cause:
// errors.Is and errors.As see through it.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying cause, nil when there is none.
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns an *Error with the given code whose message is the formatted
// text followed by ": " and err's message, and whose cause is err.
func Wrap(code string, err error, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if err != nil {
		msg += ": " + err.Error()
	}
	return &Error{Code: code, Message: msg, Err: err}
}

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL for an error without one, "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err without any wrapping context for *Error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
