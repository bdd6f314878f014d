package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail/mailtest"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// mailProcess is a serve process started by mailServe.
type mailProcess struct {
	cmd   *exec.Cmd
	stdin io.Closer
	done  chan error
}

// mailServe starts serve as a process of its own with args and waits
// until it listens.
func mailServe(t *testing.T, args ...string) *mailProcess {
	t.Helper()
	b, _ := json.Marshal(append([]string{"--addr", "127.0.0.1:0", "--turn-listen", "127.0.0.1:0", "--log-level", "warn"}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcess$")
	// The child runs its one test once, on the database its --db names.
	cmd.Env = append(os.Environ(), serveProcessEnv+"="+string(b), storetest.PostgresEnv+"=", "CI=") // the child serves; RunSuite must not demand its PostgreSQL pass
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &mailProcess{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	t.Cleanup(func() { p.stop() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if listening.MatchString(lines.Text()) {
			go io.Copy(io.Discard, stdout)
			go func() { p.done <- cmd.Wait() }()
			return p
		}
	}
	t.Fatal("serve did not start")
	return nil
}

// stop ends the process gracefully (stdin closes), or kills it after 30 s.
func (p *mailProcess) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill9 ends the process with SIGKILL: no shutdown, no cleanup.
func (p *mailProcess) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// mailDurabilityDB is a fresh database of the suite's dialect, opened here
// too, and the serve flags that put serve on it.
func mailDurabilityDB(t *testing.T) (*store.DB, []string, string) {
	t.Helper()
	dsn, dir, args := serverDB(t)
	os.Chmod(dir, 0o700)
	db := storetest.OpenAt(t, dsn, dir)
	return db, args, dir
}

// mailOutboxKey gives db the outbox key of the server on dir (started
// before: it made the master key), so that the test's mails are sealed
// as the server's own are (store/encrypt_outbox.go).
func mailOutboxKey(t *testing.T, db *store.DB, dir string) {
	t.Helper()
	keys, _, err := loadKeys(config{data: dir}, func(string) string { return "" }, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := service.LoadKeyRoot(context.Background(), db, keys); err != nil {
		t.Fatal(err)
	}
	servicetest.NewServiceConfig(t, db, service.Config{Keys: keys}, nil) // sets db's outbox key
}

// queueTestMail writes a mail into the outbox directly, as a change of
// another part of the app would in its transaction.
func queueTestMail(t *testing.T, db *store.DB, to string) string {
	t.Helper()
	now := time.Now().UTC()
	id := eyelevel.NewID()
	err := db.QueueMail(context.Background(), store.OutboxMail{ID: id, Kind: "test", To: to, Language: "en",
		Subject: "Appointment on eyelevel", Text: "See you soon.", HTML: "<p>See you soon.</p>", CreatedAt: now, NextAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitOutbox polls the outbox until ok holds for mail id.
func waitOutbox(t *testing.T, db *store.DB, ok func(store.OutboxMail) bool, what string) store.OutboxMail {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := db.Outbox(context.Background(), "test", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 1 && ok(out[0]) {
			return out[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox never %s: %+v", what, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mailArgs(srv *mailtest.Server) []string {
	return []string{"--smtp", srv.URL, "--mail-from", "eyelevel <noreply@example.org>", "--duty-email", "duty@example.org"}
}

// TestMailArrivesWhenSMTPComesBack: the SMTP server refuses while a mail
// is queued; once it is back, the mail arrives, once.
func TestMailArrivesWhenSMTPComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a retry (15 s)")
	}
	srv := mailtest.Start(t)
	srv.SetDown(true)
	db, args, dir := mailDurabilityDB(t)
	p := mailServe(t, append(args, mailArgs(srv)...)...)
	mailOutboxKey(t, db, dir)
	queueTestMail(t, db, "client@example.org")
	waitOutbox(t, db, func(m store.OutboxMail) bool { return m.Attempts >= 1 }, "tried")
	srv.SetDown(false)
	got := srv.Wait(t, 1, 60*time.Second)
	waitOutbox(t, db, func(m store.OutboxMail) bool { return !m.SentAt.IsZero() }, "marked sent")
	p.stop()
	if n := len(srv.Messages()); n != 1 || got[0].To[0] != "client@example.org" {
		t.Fatalf("%d messages, first to %v", n, got[0].To)
	}
}

// TestMailExactlyOnceAfterKill9: serve is killed with SIGKILL while a
// mail waits in the outbox (the SMTP server refused it); after the
// restart the mail is sent, exactly once.
func TestMailExactlyOnceAfterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a retry (15 s)")
	}
	srv := mailtest.Start(t)
	srv.SetDown(true)
	db, args, dir := mailDurabilityDB(t)
	args = append(args, mailArgs(srv)...)
	p := mailServe(t, args...)
	mailOutboxKey(t, db, dir)
	id := queueTestMail(t, db, "client@example.org")
	waitOutbox(t, db, func(m store.OutboxMail) bool { return m.Attempts >= 1 }, "tried")
	p.kill9(t)
	srv.SetDown(false)
	p = mailServe(t, args...)
	got := srv.Wait(t, 1, 60*time.Second)
	m := waitOutbox(t, db, func(m store.OutboxMail) bool { return !m.SentAt.IsZero() }, "marked sent")
	p.stop()
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages after the restart, want 1", n)
	}
	parsed, err := got[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if mid := parsed.Header.Get("Message-Id"); !strings.Contains(mid, id) || m.Text != "" {
		t.Errorf("Message-ID %q (want the outbox id %s); body kept after sending: %q", mid, id, m.Text)
	}
}
