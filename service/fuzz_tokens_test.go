package service

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"eyelevel"
)

// fuzzTokenService is a service with a device key and a fixed clock, enough
// for the token parsers, which check before they touch the database.
func fuzzTokenService() *Service {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return &Service{now: func() time.Time { return now }, deviceKey: []byte("fuzz device key, 32 bytes long!!")}
}

// FuzzVerifyDevice fuzzes the device token of a login (cookie or API): a
// token is accepted only for the user and password it was issued to and
// before it expires, and every token issued verifies to its device id.
func FuzzVerifyDevice(f *testing.F) {
	s := fuzzTokenService()
	u := eyelevel.User{ID: "u1", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"}
	good := s.issueDevice(u, "dev1")
	for _, tok := range []string{good, good + "x", strings.Replace(good, "d1.", "d2.", 1), "d1.dev1.99999999999.mac", "d1..1.", "", "....",
		"d1.dev1." + strconv.FormatInt(s.now().Unix(), 10) + ".x", strings.Repeat("a", 201)} {
		f.Add(tok, "dev1")
	}
	f.Add("", "")
	f.Add("", "a.b")
	f.Fuzz(func(t *testing.T, token, id string) {
		if got, ok := s.verifyDevice(token, u); ok {
			parts := strings.Split(token, ".")
			exp, err := strconv.ParseInt(parts[2], 10, 64)
			if got != parts[1] || parts[0] != devicePrefix || err != nil || exp <= s.now().Unix() || len(token) > 200 {
				t.Fatalf("%q accepted as device %q", token, got)
			}
			other := u
			other.PasswordHash += "x"
			if _, ok := s.verifyDevice(token, other); ok {
				t.Fatalf("%q accepted after a new password", token)
			}
			other = u
			other.ID = "u2"
			if _, ok := s.verifyDevice(token, other); ok {
				t.Fatalf("%q accepted for another user", token)
			}
		}
		if id == "" || strings.Contains(id, ".") || len(id) > 100 {
			return // issueDevice gets "" (a new id) or an id it issued
		}
		issued := s.issueDevice(u, id)
		if got, ok := s.verifyDevice(issued, u); !ok || got != id {
			t.Fatalf("device %q: issued %q verifies as %q, %v", id, issued, got, ok)
		}
	})
}

// FuzzCursor fuzzes ?cursor= of every list: a refused cursor is EINVALID on
// the field cursor, an accepted one is written back as a cursor that reads
// the same.
func FuzzCursor(f *testing.F) {
	for _, c := range []cursor{{Key: 0, ID: "a"}, {Key: -1, ID: "x.y"}, {Key: 1 << 62, ID: "é"}} {
		f.Add(c.encode())
	}
	for _, s := range []string{"", "MQ", "MS4xLg", "Mi4xLmE", "MS4rMS5h", "!!", "MS4xLmE=", "MS4xOTk5OTk5OTk5OTk5OTk5OTk5OS5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, first, err := decodeCursor(s)
		if err != nil {
			var e *eyelevel.Error
			if eyelevel.ErrorCode(err) != eyelevel.EINVALID || !errors.As(err, &e) || e.Fields["cursor"] == "" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if first != (s == "") {
			t.Fatalf("%q: first %v", s, first)
		}
		if first {
			return
		}
		back, first, err := decodeCursor(c.encode())
		if err != nil || first || back != c {
			t.Fatalf("%q: %+v written as %q reads %+v, %v", s, c, c.encode(), back, err)
		}
	})
}

// FuzzFreshSignature fuzzes the timestamp of a Stripe-Signature header:
// a header is fresh only when its first t= is a number of seconds within
// the tolerance of now.
func FuzzFreshSignature(f *testing.F) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, h := range []string{"t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=abc", "v1=abc, t=" + strconv.FormatInt(now.Unix()-299, 10),
		"t=" + strconv.FormatInt(now.Unix()-301, 10) + ",v1=abc", "t=,v1=x", "t=-9223372036854775808", "t=9223372036854775807", "", "t=1e9", " t = 1"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if !freshSignature(header, now) {
			return
		}
		for part := range strings.SplitSeq(header, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
				sec, err := strconv.ParseInt(v, 10, 64)
				if d := now.Unix() - sec; err != nil || d > 300 || d < -300 {
					t.Fatalf("%q: fresh with t=%q", header, v)
				}
				return
			}
		}
		t.Fatalf("%q: fresh without t=", header)
	})
}
