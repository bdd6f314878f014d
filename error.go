package eyelevel

import (
	"errors"
	"fmt"
)

// Error codes. They map to HTTP status in exactly one place (web/errors.go).
const (
	EINVALID      = "invalid"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	ETOOLARGE     = "too_large"
	ETOOMANY      = "too_many_requests"
	EUNAVAILABLE  = "unavailable"      // a needed key or service is missing; the operator must act
	EPAYMENT      = "payment_required" // charging is on and the client holds no credit
	EEXPIRED      = "expired"          // the contract a code or action belongs to has ended
	EINTERNAL     = "internal"
	// ESECONDFACTOR: the account must enrol a second factor first, or the
	// login needs its code.
	ESECONDFACTOR = "second_factor_required"
)

// Error is an application error a user may see. Key names the message in the
// translation catalog; Message is the English fallback. Fields holds a
// translation key per offending input field.
type Error struct {
	Code    string
	Key     string
	Args    []any // key/value pairs for the catalog's placeholders
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	return fmt.Sprintf("eyelevel error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an Error with a catalog key and an English fallback message.
func Errorf(code, key, format string, args ...any) *Error {
	return &Error{Code: code, Key: key, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error with per-field problems.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: EINVALID, Key: "error.invalid", Message: "Please correct the marked fields.", Fields: fields}
}

// ErrorCode returns the code of err, EINTERNAL for unknown errors and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrNotFound is the error returned for anything the actor may not know exists.
func ErrNotFound() *Error {
	return Errorf(ENOTFOUND, "error.not_found", "Not found.")
}
