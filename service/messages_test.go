package service_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

const msgSecret = "Mein geheimer Satz über den Streit mit Aylin 4711"

// TestMsgEncryptedAtRest: a message's text is nowhere in the database in
// the clear — not in SQLite's files, not in PostgreSQL's column — and
// reads back decrypted.
func TestMsgEncryptedAtRest(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("rest")
		if _, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, msgSecret); err != nil {
			t.Fatal(err)
		}
		th, err := w.svc.Messages(w.ctx, counselor, client.UserID)
		if err != nil || len(th.Messages) != 1 || th.Messages[0].Text != msgSecret {
			t.Fatalf("thread = %+v, %v", th, err)
		}
		var sealed []byte
		if err := w.raw.QueryRowContext(w.ctx, `SELECT sealed FROM messages`).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("geheimer")) || len(sealed) < len(msgSecret) {
			t.Fatalf("sealed column holds the text or too little: %q", sealed)
		}
		if w.dialect != "sqlite" {
			return
		}
		files, _ := filepath.Glob(filepath.Join(w.dir, "eyelevel.db*"))
		if len(files) == 0 {
			t.Fatal("no database files")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("geheimer")) || bytes.Contains(b, []byte("Aylin")) {
				t.Errorf("%s holds the message text", filepath.Base(f))
			}
		}
	})
}

// TestMsgAuthorization: who may list, read and write a conversation with
// a client or their counselor.
func TestMsgAuthorization(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("authz")
		other := w.counselor("c-other", eyelevel.GenderMale, []string{"de*"}, officeHours...)
		org := w.org("Haus am See", "haus")
		carepoint := w.staff(eyelevel.RoleCarePoint, "carepoint", org.ID)
		orgadmin := w.staff(eyelevel.RoleOrgAdmin, "orgadmin", org.ID)
		stranger := w.client("k-stranger")
		cases := []struct {
			name     string
			actor    eyelevel.Actor
			with     eyelevel.UserID
			list, rw string // error codes; "" allowed
		}{
			{"client to their counselor", client, counselor.UserID, "", ""},
			{"counselor to their client", counselor, client.UserID, "", ""},
			{"other counselor to the client", other, client.UserID, "", eyelevel.ENOTFOUND},
			{"client to another counselor", client, other.UserID, "", eyelevel.ENOTFOUND},
			{"another client to the counselor", stranger, counselor.UserID, "", eyelevel.ENOTFOUND},
			{"admin to the client (no escalated alert)", w.admin, client.UserID, "", eyelevel.ENOTFOUND},
			{"care point to the client", carepoint, client.UserID, eyelevel.EFORBIDDEN, eyelevel.ENOTFOUND},
			{"organization admin to the client", orgadmin, client.UserID, eyelevel.EFORBIDDEN, eyelevel.ENOTFOUND},
			{"anonymous to the client", eyelevel.Actor{}, client.UserID, eyelevel.EUNAUTHORIZED, eyelevel.EUNAUTHORIZED},
			{"client to an unknown id", client, "nobody", "", eyelevel.ENOTFOUND},
			{"client to themselves", client, client.UserID, "", eyelevel.ENOTFOUND},
		}
		for _, c := range cases {
			_, err := w.svc.Conversations(w.ctx, c.actor)
			if got := eyelevel.ErrorCode(err); got != c.list {
				t.Errorf("%s: list = %q, want %q", c.name, got, c.list)
			}
			_, err = w.svc.Messages(w.ctx, c.actor, c.with)
			if got := eyelevel.ErrorCode(err); got != c.rw {
				t.Errorf("%s: read = %q, want %q", c.name, got, c.rw)
			}
			_, err = w.svc.SendMessage(w.ctx, c.actor, c.with, "Hallo")
			if got := eyelevel.ErrorCode(err); got != c.rw {
				t.Errorf("%s: write = %q, want %q", c.name, got, c.rw)
			}
		}
		// The lists show exactly the conversations with a relationship.
		cs, _ := w.svc.Conversations(w.ctx, other)
		if len(cs) != 0 {
			t.Errorf("other counselor's list = %+v", cs)
		}
		cs, _ = w.svc.Conversations(w.ctx, client)
		if len(cs) != 1 || cs[0].ID != counselor.UserID || cs[0].Name != "Counselor c-authz" || cs[0].ReplyDays != 2 {
			t.Errorf("client's list = %+v", cs)
		}
		// 181 days after the session the relationship has ended.
		w.clock.Advance(182 * 24 * time.Hour)
		_, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, "Hallo")
		wantCode(t, err, eyelevel.ENOTFOUND)
		if cs, _ := w.svc.Conversations(w.ctx, counselor); len(cs) != 0 {
			t.Errorf("list after the relationship ended = %+v", cs)
		}
	})
}

// TestMsgBadInput: empty, blank and too long texts are refused with the
// field named, and nothing is stored.
func TestMsgBadInput(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("bad")
		for _, text := range []string{"", "  \n ", strings.Repeat("ä", service.MaxMessage+1)} {
			_, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, text)
			wantField(t, err, "text")
		}
		if _, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, strings.Repeat("ä", service.MaxMessage)); err != nil {
			t.Fatalf("longest message: %v", err)
		}
		th, _ := w.svc.Messages(w.ctx, client, counselor.UserID)
		if len(th.Messages) != 1 {
			t.Errorf("stored %d messages, want 1", len(th.Messages))
		}
	})
}

// TestMsgReadReceipts: reading a conversation marks the other side's
// messages read, which the sender then sees; the list counts unread ones.
func TestMsgReadReceipts(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("read")
		for _, s := range []string{"Eins", "Zwei"} {
			if _, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, s); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(time.Minute)
		}
		w.clock.Advance(time.Hour)
		cs, _ := w.svc.Conversations(w.ctx, counselor)
		if len(cs) != 1 || cs[0].Unread != 2 || cs[0].Name != "k-read" || !cs[0].LastAt.Equal(monday.Add(time.Minute)) {
			t.Fatalf("counselor's list = %+v", cs)
		}
		if st, _ := w.svc.Status(w.ctx, counselor); st.Unread != 2 {
			t.Errorf("status = %+v", st)
		}
		th, _ := w.svc.Messages(w.ctx, client, counselor.UserID)
		if len(th.Messages) != 2 || !th.Messages[0].ReadAt.IsZero() || th.Messages[0].Incoming || th.Messages[0].Text != "Eins" {
			t.Fatalf("before reading: %+v", th.Messages)
		}
		th, _ = w.svc.Messages(w.ctx, counselor, client.UserID)
		if !th.Messages[1].Incoming || th.With.Name != "k-read" {
			t.Errorf("counselor's view: %+v", th)
		}
		th, _ = w.svc.Messages(w.ctx, client, counselor.UserID)
		for _, m := range th.Messages {
			if !m.ReadAt.Equal(monday.Add(time.Hour + 2*time.Minute)) {
				t.Errorf("read receipt of %q = %v", m.Text, m.ReadAt)
			}
		}
		if cs, _ := w.svc.Conversations(w.ctx, counselor); cs[0].Unread != 0 {
			t.Errorf("unread after reading = %d", cs[0].Unread)
		}
	})
}

// TestMsgMailThrottle: a recipient in the app gets no mail; one who has
// been away 15 minutes gets one content-free mail; a second message within
// the hour adds none; someone who switched message mail off gets none.
func TestMsgMailThrottle(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("mail")
		addr := "mail-counselor@example.org"
		w.active(counselor)
		if _, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, msgSecret); err != nil {
			t.Fatal(err)
		}
		if n := len(w.mails("message", addr)); n != 0 {
			t.Fatalf("active recipient got %d mails", n)
		}
		w.clock.Advance(10 * time.Minute)
		if _, err := w.svc.MailMessages(w.ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(w.mails("message", addr)); n != 0 {
			t.Fatalf("recipient active 10 minutes ago got %d mails", n)
		}
		w.clock.Advance(6 * time.Minute)
		if _, err := w.svc.MailMessages(w.ctx); err != nil {
			t.Fatal(err)
		}
		ms := w.mails("message", addr)
		if len(ms) != 1 {
			t.Fatalf("away recipient got %d mails, want 1", len(ms))
		}
		wantNeutral(t, ms[0], "geheim", "Aylin", "4711", "k-mail")
		if !strings.Contains(ms[0].Text, "https://eyelevel.example/messages/"+string(client.UserID)) || ms[0].Language != "de" {
			t.Errorf("mail: %s (%s)", ms[0].Text, ms[0].Language)
		}
		w.clock.Advance(20 * time.Minute)
		if _, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, "Noch etwas"); err != nil {
			t.Fatal(err)
		}
		w.svc.MailMessages(w.ctx)
		if n := len(w.mails("message", addr)); n != 1 {
			t.Fatalf("second message within the hour: %d mails, want 1", n)
		}
		// The client is away too: the answer reaches them at once, once.
		if _, err := w.svc.SendMessage(w.ctx, counselor, client.UserID, "Antwort"); err != nil {
			t.Fatal(err)
		}
		w.svc.MailMessages(w.ctx)
		if n := len(w.mails("message", "mail-client@example.org")); n != 1 {
			t.Errorf("away client got %d mails, want 1", n)
		}
		// Someone who does not want message mail gets none.
		other, c2 := w.pair("off")
		if _, err := w.raw.ExecContext(w.ctx, `UPDATE users SET notify_off = 'messages' WHERE id = $1`, string(c2.UserID)); err != nil {
			t.Fatal(err)
		}
		w.svc.SendMessage(w.ctx, other, c2.UserID, "Hallo")
		w.clock.Advance(time.Hour)
		w.svc.MailMessages(w.ctx)
		if n := len(w.mails("message", "off-counselor@example.org")); n != 0 {
			t.Errorf("recipient without message mail got %d", n)
		}
	})
}

// TestMsgActivity: logging in and using the app records activity, at most
// once a minute.
func TestMsgActivity(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client := w.client("k-active")
		res, err := w.svc.SignIn(w.ctx, service.Credentials{Username: "k-active", Password: password, IP: w.ip()})
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(5 * time.Minute)
		if _, err := w.svc.Authenticate(w.ctx, res.Token, service.SessionWeb); err != nil {
			t.Fatal(err)
		}
		u, _ := w.db.UserByID(w.ctx, client.UserID)
		if !u.LastActive.Equal(w.clock.Now()) {
			t.Errorf("last active = %v, want %v", u.LastActive, w.clock.Now())
		}
		w.clock.Advance(30 * time.Second)
		w.svc.Authenticate(w.ctx, res.Token, service.SessionWeb)
		if u2, _ := w.db.UserByID(w.ctx, client.UserID); !u2.LastActive.Equal(u.LastActive) {
			t.Errorf("written again within the minute: %v", u2.LastActive)
		}
	})
}

// TestMsgOrderWithinSecond: messages of the same second keep the order in
// which they were written (times are stored in whole seconds).
func TestMsgOrderWithinSecond(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("order")
		want := []string{"eins", "zwei", "drei", "vier", "fünf", "sechs"}
		for i, s := range want {
			from, to := client, counselor.UserID
			if i%2 == 1 {
				from, to = counselor, client.UserID
			}
			if _, err := w.svc.SendMessage(w.ctx, from, to, s); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(time.Millisecond)
		}
		th, _ := w.svc.Messages(w.ctx, client, counselor.UserID)
		var got []string
		for _, m := range th.Messages {
			got = append(got, m.Text)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("order = %v, want %v", got, want)
		}
	})
}
