package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"eyelevel/mail"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMailsinkPrints: a mail sent to mailsink is printed with its headers
// and decoded text (Arabic survives), and the calendar part.
func TestMailsinkPrints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, out, out) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	listening := regexp.MustCompile(`listening on (smtp://\S+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("not listening:\n%s", out)
		}
	}
	s, err := mail.NewSMTP(url, "eyelevel <noreply@example.org>")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(ctx, mail.Message{ID: "m1", To: "demo-client@example.org", Lang: "ar", Subject: "موعد على eyelevel",
		Text: "مرحبا، موعدك يوم الاثنين.", HTML: "<p>x</p>", ICS: "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "METHOD:REQUEST"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("mail not printed:\n%s", out)
		}
	}
	for _, want := range []string{"Subject: موعد على eyelevel", "To: <demo-client@example.org>", "مرحبا، موعدك يوم الاثنين.", "Content-Language: ar", "Message-Id: <m1@example.org>"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestMailsinkLoopbackOnly(t *testing.T) {
	err := run(context.Background(), []string{"--addr", "0.0.0.0:0"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--any") {
		t.Fatalf("run = %v, want a refusal naming --any", err)
	}
}
