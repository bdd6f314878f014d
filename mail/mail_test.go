package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"eyelevel/mail"
	"eyelevel/mail/mailtest"
)

func TestSendToLocalServer(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := mail.NewSMTP(srv.URL, "eyelevel <noreply@example.org>")
	if err != nil {
		t.Fatal(err)
	}
	ics := "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
	err = s.Send(context.Background(), mail.Message{ID: "abc", To: "leyla@example.org", Lang: "ar",
		Subject: "موعد على eyelevel", Text: "نص", HTML: `<p dir="rtl">نص</p>`, ICS: ics})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 5*time.Second)
	p, err := got[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "موعد على eyelevel" || p.Text != "نص" || !strings.Contains(p.HTML, `dir="rtl"`) || p.ICS != ics {
		t.Errorf("parsed %+v", p)
	}
	if p.Header.Get("Content-Language") != "ar" || !strings.HasPrefix(p.Header.Get("Message-Id"), "<abc@example.org") {
		t.Errorf("headers %v", p.Header)
	}
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string]mail.Config{
		"smtp://localhost:2525": {Host: "localhost", Port: 2525, TLS: "opportunistic"},
		"smtp://relay":          {Host: "relay", Port: 25, TLS: "opportunistic"},
		"smtp://u:p%40ss@mx.example:587?starttls=required": {Host: "mx.example", Port: 587, TLS: "required", Username: "u", Password: "p@ss"},
		"smtps://mx.example": {Host: "mx.example", Port: 465, TLS: "implicit"},
	} {
		got, err := mail.ParseURL(raw)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{"http://x", "smtp://", "smtp://h:0", "smtp://h?starttls=maybe", "smtps://h?starttls=required"} {
		if _, err := mail.ParseURL(raw); err == nil {
			t.Errorf("ParseURL(%q) accepted", raw)
		}
	}
}
