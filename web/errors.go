package web

import (
	"errors"
	"net/http"

	"eyelevel"
)

// EMETHOD is the web layer's own code for a wrong HTTP method.
const EMETHOD = "method_not_allowed"

// EMEDIATYPE is the web layer's code for a request body that is not JSON.
const EMEDIATYPE = "unsupported_media_type"

// codeStatus is the one place error codes become HTTP status codes.
var codeStatus = map[string]int{
	eyelevel.EINVALID:      http.StatusBadRequest,
	eyelevel.EUNAUTHORIZED: http.StatusUnauthorized,
	eyelevel.EFORBIDDEN:    http.StatusForbidden,
	eyelevel.ENOTFOUND:     http.StatusNotFound,
	eyelevel.ECONFLICT:     http.StatusConflict,
	eyelevel.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	eyelevel.ETOOMANY:      http.StatusTooManyRequests,
	eyelevel.EUNAVAILABLE:  http.StatusServiceUnavailable,
	eyelevel.EINTERNAL:     http.StatusInternalServerError,
	eyelevel.EPAYMENT:      http.StatusPaymentRequired,
	eyelevel.EEXPIRED:      http.StatusConflict,
	eyelevel.ESECONDFACTOR: http.StatusForbidden, // a login without its code answers 401 (api_secondfactor.go)
	EMETHOD:                http.StatusMethodNotAllowed,
	EMEDIATYPE:             http.StatusUnsupportedMediaType,
	ECONSENT:               http.StatusForbidden,
}

// statusOf returns the HTTP status for err.
func statusOf(err error) int {
	if s, ok := codeStatus[eyelevel.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// apiErrorOf renders err in the caller's language. Internal errors are
// logged and never shown.
func apiErrorOf(r *http.Request, d Deps, err error) apiError {
	lang := info(r).Lang
	var e *eyelevel.Error
	if !errors.As(err, &e) {
		d.Log.Error("internal error", "method", method(r.Method), "route", routeOf(r), "err", err)
		return apiError{Code: eyelevel.EINTERNAL, Message: d.Catalog.T(lang, "error.internal")}
	}
	out := apiError{Code: e.Code, Message: e.Message}
	if e.Key != "" {
		out.Message = d.Catalog.T(lang, e.Key, e.Args...)
	}
	if len(e.Fields) > 0 {
		out.Fields = make(map[string]string, len(e.Fields))
		for f, key := range e.Fields {
			out.Fields[f] = d.Catalog.T(lang, key, e.Args...)
		}
	}
	return out
}

// writeError answers with the JSON error shape {"error":{"code","message","fields"?}}.
func writeError(w http.ResponseWriter, r *http.Request, d Deps, err error) {
	w.Header().Set("Cache-Control", "no-store")
	encode(w, statusOf(err), map[string]apiError{"error": apiErrorOf(r, d, err)})
}
