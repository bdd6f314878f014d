package mail_test

import (
	"context"
	"crypto/tls"
	"net/url"
	"testing"
	"time"

	"eyelevel/mail"
	"eyelevel/mail/mailtest"
)

// TestSMTPTransports: each --smtp form against a server that offers what
// the form needs (or does not): plain SMTP when no STARTTLS is offered,
// STARTTLS when it is, starttls=required refusing a server without it,
// implicit TLS, and AUTH PLAIN with the right and a wrong password.
func TestSMTPTransports(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     mailtest.Options
		url      func(srv *mailtest.Server) string
		wantErr  bool
		wantTLS  bool
		wantUser string
	}{
		{"plain when no STARTTLS offered", mailtest.Options{}, nil, false, false, ""},
		{"STARTTLS when offered", mailtest.Options{TLS: "starttls"}, nil, false, true, ""},
		{"starttls=required against plain server", mailtest.Options{}, func(s *mailtest.Server) string { return s.URL + "?starttls=required" }, true, false, ""},
		{"starttls=required with STARTTLS", mailtest.Options{TLS: "starttls"}, func(s *mailtest.Server) string { return s.URL + "?starttls=required" }, false, true, ""},
		{"smtps implicit TLS", mailtest.Options{TLS: "implicit"}, nil, false, true, ""},
		{"AUTH over STARTTLS", mailtest.Options{TLS: "starttls", User: "relay", Password: "s3cret:/@"}, nil, false, true, "relay"},
		{"AUTH over smtps", mailtest.Options{TLS: "implicit", User: "relay", Password: "pw"}, nil, false, true, "relay"},
		{"AUTH wrong password", mailtest.Options{TLS: "starttls", User: "relay", Password: "right"}, func(s *mailtest.Server) string {
			return "smtp://" + url.UserPassword("relay", "wrong").String() + "@" + s.Addr
		}, true, false, ""},
		{"no credentials where AUTH is needed", mailtest.Options{TLS: "starttls", User: "relay", Password: "right"}, func(s *mailtest.Server) string {
			return "smtp://" + s.Addr
		}, true, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.StartWith(t, tc.opts)
			u := srv.URL
			if tc.url != nil {
				u = tc.url(srv)
			}
			s, err := mail.NewSMTP(u, "noreply@example.org")
			if err != nil {
				t.Fatal(err)
			}
			s.TLSConfig = &tls.Config{RootCAs: srv.RootCAs}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = s.Send(ctx, mail.Message{To: "a@example.org", Subject: "Appointment on eyelevel", Text: "t", HTML: "<p>t</p>"})
			if tc.wantErr {
				if err == nil {
					t.Fatal("sent, want an error")
				}
				if n := len(srv.Messages()); n != 0 {
					t.Fatalf("%d messages arrived", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := srv.Wait(t, 1, 5*time.Second)[0]
			if got.TLS != tc.wantTLS || got.User != tc.wantUser {
				t.Errorf("arrived with TLS %v user %q, want %v %q", got.TLS, got.User, tc.wantTLS, tc.wantUser)
			}
		})
	}
}

// TestSMTPVerifiesCertificates: without trusting the test certificate the
// sender refuses the server instead of sending in the clear or to an
// unverified peer.
func TestSMTPVerifiesCertificates(t *testing.T) {
	for _, o := range []mailtest.Options{{TLS: "implicit"}} {
		srv := mailtest.StartWith(t, o)
		s, err := mail.NewSMTP(srv.URL, "noreply@example.org")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = s.Send(ctx, mail.Message{To: "a@example.org", Subject: "s", Text: "t", HTML: "<p>t</p>"})
		cancel()
		if err == nil || len(srv.Messages()) != 0 {
			t.Fatalf("%s: sent to an untrusted certificate: %v", o.TLS, err)
		}
	}
}
