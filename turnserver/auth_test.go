package turnserver

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

func TestCredentials(t *testing.T) {
	// Computed by hand: printf '1767225600:alice' | openssl dgst -sha1 -hmac north-star -binary | base64
	user, pass := Credentials([]byte("north-star"), "alice", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if user != "1767225600:alice" {
		t.Errorf("username = %q, want %q", user, "1767225600:alice")
	}
	if want := "IDtfjWMaQdSof2iYRH4J0sTpInI="; pass != want {
		t.Errorf("password = %q, want %q", pass, want)
	}
}

func TestAuthHandler(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	h := authHandler(secret, "eyelevel", func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	valid, pass := Credentials(secret, "u:1", now.Add(time.Minute))
	atNow, _ := Credentials(secret, "u1", now)
	expired, _ := Credentials(secret, "u1", now.Add(-time.Second))

	for _, tc := range []struct {
		username string
		ok       bool
		userID   string
	}{
		{valid, true, "u:1"},
		{atNow, true, "u1"}, // expiry is inclusive
		{expired, false, ""},
		{"1800000060", false, ""},  // no user ID
		{"1800000060:", false, ""}, // empty user ID
		{":u1", false, ""},
		{"+1800000060:u1", false, ""},
		{"soon:u1", false, ""},
		{"", false, ""},
	} {
		userID, key, ok := h(&turn.RequestAttributes{Username: tc.username, Realm: "other"})
		if ok != tc.ok || userID != tc.userID {
			t.Errorf("%q: got (%q, %v), want (%q, %v)", tc.username, userID, ok, tc.userID, tc.ok)
		}
		if ok && tc.username == valid {
			// Key derivation uses the server's realm, whatever the client sent.
			want := turn.GenerateAuthKey(valid, "eyelevel", pass)
			if string(key) != string(want) {
				t.Errorf("key = %x, want %x", key, want)
			}
		}
	}
}
