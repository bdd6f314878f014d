package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/service"
)

// fuzzDecodeTarget decodes a body as one of the API's request types and,
// when that succeeds, encodes the value and decodes it again.
type fuzzDecodeTarget struct {
	name  string
	twice func(tb testing.TB, body []byte) (first, second any, err error)
}

func fuzzDecodeAs[T any](name string) fuzzDecodeTarget {
	return fuzzDecodeTarget{name: name, twice: func(tb testing.TB, body []byte) (any, any, error) {
		v, err := fuzzDecodeBody[T](body, "application/json")
		if err != nil {
			return nil, nil, err
		}
		again, err := json.Marshal(v)
		if err != nil {
			tb.Fatalf("%s: accepted value does not encode: %v", name, err)
		}
		w, err := fuzzDecodeBody[T](again, "application/json; charset=utf-8")
		if err != nil {
			tb.Fatalf("%s: accepted %q, refused its own encoding %s: %v", name, body, again, err)
		}
		return v, w, nil
	}}
}

func fuzzDecodeBody[T any](body []byte, contentType string) (T, error) {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return decode[T](httptest.NewRecorder(), r)
}

// fuzzDecodeTargets are the request types the API decodes with decode that
// are declared at package level (types declared inside a handler are
// reached by FuzzAPIBodies through the handlers).
var fuzzDecodeTargets = []fuzzDecodeTarget{
	fuzzDecodeAs[service.RegisterInput]("RegisterInput"),
	fuzzDecodeAs[service.CounselorInput]("CounselorInput"),
	fuzzDecodeAs[service.ProfileInput]("ProfileInput"),
	fuzzDecodeAs[availabilityJSON]("availabilityJSON"),
	fuzzDecodeAs[bookJSON]("bookJSON"),
	fuzzDecodeAs[service.SettingsInput]("SettingsInput"),
	fuzzDecodeAs[service.PasswordChange]("PasswordChange"),
	fuzzDecodeAs[service.ResetRequest]("ResetRequest"),
	fuzzDecodeAs[service.RecoverInput]("RecoverInput"),
	fuzzDecodeAs[service.AttendanceInput]("AttendanceInput"),
	fuzzDecodeAs[rescheduleJSON]("rescheduleJSON"),
	fuzzDecodeAs[service.ReflectionInput]("ReflectionInput"),
	fuzzDecodeAs[service.RatingInput]("RatingInput"),
	fuzzDecodeAs[service.StaffInput]("StaffInput"),
	fuzzDecodeAs[service.CarePointClientInput]("CarePointClientInput"),
	fuzzDecodeAs[service.OrganizationInput]("OrganizationInput"),
	fuzzDecodeAs[service.ContractInput]("ContractInput"),
	fuzzDecodeAs[map[string]any]("object"),
}

// FuzzDecode feeds bodies to decode as each request type: it never panics,
// every refusal is an eyelevel error answered with a 4xx, and whatever it
// accepts is valid text that survives encoding and decoding again.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{}`, `{"username":"amira","password":"correct horse battery","language":"de"}`,
		`{"weekly":[{"weekday":1,"start":"09:00","end":"17:00"}],"exceptions":[{"date":"2026-12-24","available":false}]}`,
		`{"counselor_id":"abc","start":"2026-12-01T09:00:00Z"}`, `{"start":"2026-12-01T09:00:00+01:00"}`,
		`{"name":"Beratung e.V.","slug":"beratung"}`, `{"starts":"2026-01-01","ends":"2026-12-31","sessions":100}`,
		`{"stars":5,"comment":"gut"}`, `{"attendance":"attended"}`, `{"text":"Meine Gedanken"}`,
		`{"username":"a\u0000b"}`, `{"username":"\ud800"}`, "{\"username\":\"\xff\"}", `{"unknown":1}`,
		`{"sessions":"ten"}`, `{"sessions":1e400}`, `{"weekly":{}}`, `[]`, `null`, `"x"`, `{} {}`, `{}x`,
		`{"a":`, ``, ` `, `{"username":"a","username":"b"}`, `{"Username":"case"}`, `{"weekly":[null]}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		target := fuzzDecodeTargets[int(kind)%len(fuzzDecodeTargets)]
		first, second, err := target.twice(t, body)
		if err != nil {
			var e *eyelevel.Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: %q: refused with a plain error %v (a 500)", target.name, body, err)
			}
			if st := statusOf(err); st < 400 || st >= 500 {
				t.Fatalf("%s: %q: refused with %d (%s)", target.name, body, st, e.Code)
			}
			return
		}
		if !utf8.Valid(body) || checkStrings(reflect.ValueOf(first), "") != nil {
			t.Fatalf("%s: accepted bad text %q", target.name, body)
		}
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("%s: %q decoded to %#v, its encoding to %#v", target.name, body, first, second)
		}
	})
}

// FuzzDecodeMediaType checks the Content-Type gate: only JSON in UTF-8 is
// read, everything else is a 415, never a 500.
func FuzzDecodeMediaType(f *testing.F) {
	for _, s := range []string{"application/json", "application/json; charset=utf-8", "application/json; charset=UTF-8",
		"application/json; charset=latin1", "text/plain", "application/x-www-form-urlencoded", "", "application/json;", "application/json; charset=\"utf-8\"",
		"application/json; charset=utf-8; charset=utf-8", "APPLICATION/JSON", "multipart/form-data; boundary=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		_, err := fuzzDecodeBody[map[string]any]([]byte(`{}`), ct)
		if err == nil {
			return
		}
		if eyelevel.ErrorCode(err) != EMEDIATYPE || statusOf(err) != http.StatusUnsupportedMediaType {
			t.Fatalf("Content-Type %q: %v (status %d), want 415", ct, err, statusOf(err))
		}
	})
}
