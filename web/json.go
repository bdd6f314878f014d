package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"eyelevel"
)

// maxBody caps every request body.
const maxBody = 1 << 20

// encode writes v as JSON with status.
func encode(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decode reads one JSON value into a T, refusing unknown fields, trailing
// data and bodies over 1 MiB with errors the client can act on.
//
// The body must be declared as application/json (a charset parameter, if
// any, must be UTF-8), must be valid UTF-8, and no string in it may hold a
// NUL character (see input.go).
func decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	if err := requireJSON(r); err != nil {
		return v, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return v, decodeError(err)
	}
	if !utf8.Valid(body) {
		return v, errBadText("")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return v, decodeError(err)
		}
		return v, eyelevel.Errorf(eyelevel.EINVALID, "error.bad_json", "The request body is not valid JSON.")
	}
	return v, checkStrings(reflect.ValueOf(&v), "")
}

// requireJSON refuses a body that is not declared as JSON with 415, so that
// a form posted from anywhere is never read as an API request.
func requireJSON(r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	cs, hasCharset := params["charset"]
	if err != nil || mt != "application/json" || hasCharset && !strings.EqualFold(cs, "utf-8") {
		return eyelevel.Errorf(EMEDIATYPE, "error.media_type", "Please send the request body as JSON, with Content-Type: application/json.")
	}
	return nil
}

func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return eyelevel.Errorf(eyelevel.ETOOLARGE, "error.too_large", "The request is too large.")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		e := eyelevel.Errorf(eyelevel.EINVALID, "error.invalid", "Please correct the marked fields.")
		e.Fields = map[string]string{field: "error.wrong_type"}
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := eyelevel.Errorf(eyelevel.EINVALID, "error.unknown_field", "The request contains an unknown field: %s.", field)
		e.Args = []any{"field", field}
		return e
	}
	// Time fields that fail to parse surface as *time.ParseError wrapped
	// in a generic message; everything else is malformed JSON.
	if strings.Contains(err.Error(), "parsing time") {
		e := eyelevel.Errorf(eyelevel.EINVALID, "error.bad_time", "Please give the time in RFC 3339 format.")
		return e
	}
	return eyelevel.Errorf(eyelevel.EINVALID, "error.bad_json", "The request body is not valid JSON.")
}
