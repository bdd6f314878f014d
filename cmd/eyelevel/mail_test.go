package main

import (
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"

	"eyelevel/mail/mailtest"
	"eyelevel/store/storetest"
)

// TestMailFlagsFailLoudly: mail settings that cannot work stop the start
// with a message naming the flag.
func TestMailFlagsFailLoudly(t *testing.T) {
	const smtp = "smtp://127.0.0.1:2525"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"public url not http", []string{"--public-url", "ftp://x.example"}, "public-url"},
		{"public url relative", []string{"--public-url", "counseling.example.org"}, "public-url"},
		{"public url with query", []string{"--public-url", "https://x.example/?a=b"}, "public-url"},
		{"public url with credentials", []string{"--public-url", "https://u:p@x.example"}, "public-url"},
		{"smtp without mail-from", []string{"--smtp", smtp, "--duty-email", "duty@example.org"}, "mail-from"},
		{"smtp without duty-email", []string{"--smtp", smtp, "--mail-from", "noreply@example.org"}, "duty-email"},
		{"bad duty-email", []string{"--smtp", smtp, "--mail-from", "noreply@example.org", "--duty-email", "duty"}, "duty-email"},
		{"bad mail-from", []string{"--smtp", smtp, "--mail-from", "noreply", "--duty-email", "duty@example.org"}, "mail-from"},
		{"smtp scheme", []string{"--smtp", "http://127.0.0.1:25", "--mail-from", "noreply@example.org", "--duty-email", "duty@example.org"}, "smtp"},
		{"smtp port", []string{"--smtp", "smtp://127.0.0.1:99999", "--mail-from", "noreply@example.org", "--duty-email", "duty@example.org"}, "port"},
		{"starttls value", []string{"--smtp", smtp + "?starttls=maybe", "--mail-from", "noreply@example.org", "--duty-email", "duty@example.org"}, "starttls"},
		{"mail-from without smtp", []string{"--mail-from", "noreply@example.org"}, "--smtp"},
		{"duty-email without smtp", []string{"--duty-email", "duty@example.org"}, "--smtp"},
		{"reminders", []string{"--reminders", "tomorrow"}, "reminders"},
		{"safety escalate", []string{"--safety-escalate", "0s"}, "safety-escalate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"eyelevel", "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--turn-off"}, tc.args...)
			err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestPublicURLDefault(t *testing.T) {
	for addr, want := range map[string]string{"127.0.0.1:8080": "http://127.0.0.1:8080", "[::]:8080": "http://localhost:8080", "0.0.0.0:80": "http://localhost:80", "[::1]:9000": "http://[::1]:9000"} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := publicURL(a); got != want {
			t.Errorf("publicURL(%s) = %s, want %s", addr, got, want)
		}
	}
}

var mailLine = regexp.MustCompile(`Mail goes to the SMTP server (\S+), from .*; links in mails start with (\S+);`)

// TestServeSaysWhereMailGoes: serve says at start-up where mail goes, and
// links default to the address it really listens on (not --addr's :0);
// without --smtp it says that no mail is sent. The demo accounts get
// verified example addresses, so that a demo with --smtp sends real mail.
func TestServeSaysWhereMailGoes(t *testing.T) {
	srv := mailtest.Start(t)
	dsn, dir, args := serverDB(t)
	args = append(args, "--demo", "--smtp", srv.URL, "--mail-from", "noreply@example.org", "--duty-email", "duty@example.org")
	base, stdout := startServer(t, args...) // later flags win over its --data and --db
	m := mailLine.FindStringSubmatch(stdout.String())
	if m == nil || m[1] != srv.URL || m[2] != base {
		t.Fatalf("start-up says %q; want mail to %s and links to %s:\n%s", m, srv.URL, base, stdout)
	}
	db := storetest.OpenAt(t, dsn, dir)
	for _, name := range []string{demoAdmin, demoClient, "leyla", "anna"} {
		u, err := db.UserByUsername(context.Background(), name)
		// Sealed at start (service.EncryptLegacy): no address in plain text.
		if err != nil || u.Email != "" || len(u.EmailSealed) == 0 || u.EmailHash == "" || !u.EmailVerified || !u.Wants("booking") {
			t.Errorf("demo account %s: %q sealed %d bytes, verified %v, %v", name, u.Email, len(u.EmailSealed), u.EmailVerified, err)
		}
	}

	_, stdout = startServer(t)
	if !strings.Contains(stdout.String(), "Mail is off: no mail is sent (--smtp is not set).") {
		t.Errorf("without --smtp, start-up does not say mail is off:\n%s", stdout)
	}
}
