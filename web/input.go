package web

import (
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"unicode/utf8"

	"eyelevel"
)

// Text input is checked here, once, for every route and both databases:
// PostgreSQL refuses NUL bytes and invalid UTF-8 in text columns (SQLite
// stores them), so without this check the same input was a 400 on one
// database and a 500 on the other. The JSON decoder would replace invalid
// UTF-8 with U+FFFD; decode refuses such bodies instead of changing what
// the client sent (an escaped lone surrogate such as "\ud800" is valid JSON
// and still becomes U+FFFD).

// badText reports whether s cannot be stored as text.
func badText(s string) bool {
	return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0
}

// errBadText refuses text with a NUL byte or invalid UTF-8, naming field
// when it is known.
func errBadText(field string) error {
	e := eyelevel.Errorf(eyelevel.EINVALID, "error.bad_text", "The request contains a NUL character or text that is not valid UTF-8.")
	if field != "" {
		e.Fields = map[string]string{field: "error.bad_text"}
	}
	return e
}

// isAPI reports whether r is a request to the JSON API.
func isAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// refuseBadText answers 400 (the JSON error shape for the API, an error
// page otherwise) to requests whose path, query or posted form contains
// bad text. Page forms are read here (at most maxBody bytes), so every page
// handler sees checked values.
func refuseBadText(next http.Handler, d Deps, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := checkURL(r.URL)
		if err == nil && !isAPI(r) && isFormPost(r) {
			if err = parseForm(w, r); err == nil {
				err = checkValues(r.PostForm)
			}
		}
		if err != nil {
			if isAPI(r) {
				writeError(w, r, d, err)
			} else {
				v.fail(w, r, err)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

func checkURL(u *url.URL) error {
	if badText(u.Path) {
		return errBadText("")
	}
	return checkValues(u.Query())
}

func checkValues(vs url.Values) error {
	for k, list := range vs {
		if badText(k) {
			return errBadText("")
		}
		for _, s := range list {
			if badText(s) {
				return errBadText(k)
			}
		}
	}
	return nil
}

func isFormPost(r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// checkStrings refuses bad text anywhere in a decoded JSON value, naming the
// top-level field by its JSON name.
func checkStrings(v reflect.Value, field string) error {
	switch v.Kind() {
	case reflect.String:
		if badText(v.String()) {
			return errBadText(field)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkStrings(v.Elem(), field)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := checkStrings(v.Index(i), field); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := checkStrings(it.Key(), field); err != nil {
				return err
			}
			if err := checkStrings(it.Value(), field); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if field != "" || f.Anonymous {
				name = field // nested: report the top-level field
			}
			if err := checkStrings(v.Field(i), name); err != nil {
				return err
			}
		}
	}
	return nil
}
