package service_test

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail"
	"eyelevel/mail/mailtest"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"

	ics "github.com/arran4/golang-ical"
)

// calEnv is env with mail on, a test SMTP server and the raw database (to
// give people verified addresses, which another part of issue 11 edits).
type calEnv struct {
	*env
	raw    *sql.DB
	srv    *mailtest.Server
	sender mail.Sender
	seen   int // messages of srv already returned by deliver
}

// calForEach runs fn on every dialect with a fresh calEnv.
func calForEach(t *testing.T, fn func(t *testing.T, e *calEnv)) {
	t.Helper()
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			db := storetest.OpenAt(t, dsn, dir)
			clk := &clock{t: monday}
			svc := servicetest.NewServiceConfig(t, db, service.Config{Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}}, clk.Now)
			e := &calEnv{env: &env{t: t, ctx: context.Background(), db: db, svc: svc, clock: clk}, raw: storetest.Raw(t, dsn, dir)}
			e.admin = e.user(eyelevel.RoleAdmin, "admin")
			e.srv = mailtest.Start(t)
			var err error
			if e.sender, err = mail.NewSMTP(e.srv.URL, "noreply@eyelevel.example"); err != nil {
				t.Fatal(err)
			}
			fn(t, e)
		})
	}
}

// calAddress gives a a verified address and language lang.
func (e *calEnv) calAddress(a eyelevel.Actor, addr, lang string) {
	e.t.Helper()
	if _, err := e.raw.ExecContext(e.ctx, `UPDATE users SET email = $1, email_verified = 1, language = $2 WHERE id = $3`, addr, lang, string(a.UserID)); err != nil {
		e.t.Fatal(err)
	}
}

// calMail is one delivered mail, taken apart, with its calendar parsed.
type calMail struct {
	To  string
	P   mailtest.Parsed
	Cal *ics.Calendar // nil without a calendar part
}

func (m calMail) method() string {
	for _, p := range m.Cal.CalendarProperties {
		if p.IANAToken == "METHOD" {
			return p.Value
		}
	}
	return ""
}

func (m calMail) event(t *testing.T) *ics.VEvent {
	t.Helper()
	evs := m.Cal.Events()
	if len(evs) != 1 {
		t.Fatalf("mail to %s: %d events", m.To, len(evs))
	}
	return evs[0]
}

func prop(e *ics.VEvent, p ics.ComponentProperty) string {
	if x := e.GetProperty(p); x != nil {
		return x.Value
	}
	return ""
}

// calHealthWords must never appear in a mail (lower case).
var calHealthWords = []string{"phq", "gad", "who-5", "depress", "anxiety", "anxious", "suicid", "self-harm", "questionnaire", "reflection",
	"diagnos", "score", "safety", "crisis", "fragebogen", "angst", "therap", "note:"}

// deliver sends what the outbox holds through the test server and returns
// the mails that arrived, each checked: parsed, neutral, calendar valid.
func (e *calEnv) deliver() []calMail {
	e.t.Helper()
	for {
		n, err := e.svc.DeliverMail(e.ctx, e.sender)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	got := e.srv.Messages()
	var out []calMail
	for _, r := range got[e.seen:] {
		p, err := r.Parse()
		if err != nil {
			e.t.Fatal(err)
		}
		// Links, addresses and UIDs hold random letters: words are looked
		// for in the rest.
		all := strings.ToLower(calOpaque.ReplaceAllString(p.Subject+"\n"+p.Text+"\n"+p.HTML+"\n"+strings.ReplaceAll(p.ICS, "\r\n ", ""), " "))
		for _, w := range calHealthWords {
			if strings.Contains(all, w) {
				e.t.Errorf("mail %q to %v contains %q", p.Subject, r.To, w)
			}
		}
		m := calMail{To: r.To[0], P: p}
		if p.ICS != "" {
			if m.Cal, err = ics.ParseCalendar(strings.NewReader(p.ICS)); err != nil {
				e.t.Fatalf("calendar of mail to %s: %v\n%s", m.To, err, p.ICS)
			}
		}
		out = append(out, m)
	}
	e.seen = len(got)
	return out
}

// byTo indexes mails by recipient; two mails to one recipient fail.
func byTo(t *testing.T, ms []calMail) map[string]calMail {
	t.Helper()
	out := map[string]calMail{}
	for _, m := range ms {
		if _, dup := out[m.To]; dup {
			t.Fatalf("two mails to %s", m.To)
		}
		out[m.To] = m
	}
	return out
}

var calOpaque = regexp.MustCompile(`https?://[^\s"<]+|[^\s:"<>]+@[^\s"<>]+|UID:[^\r\n]+`)

var cancelLinkRE = regexp.MustCompile(`https://eyelevel\.example/cancel/[A-Za-z0-9._-]+`)

// cancelToken is the one-click cancel token in a mail's text.
func cancelToken(t *testing.T, m calMail) string {
	t.Helper()
	u := cancelLinkRE.FindString(m.P.Text)
	if u == "" {
		t.Fatalf("no cancel link in\n%s", m.P.Text)
	}
	return strings.TrimPrefix(u, "https://eyelevel.example/cancel/")
}

// calWorld: a counselor with office hours and an address, and an
// Arabic-speaking client with an address.
func (e *calEnv) calWorld() (counselor, client eyelevel.Actor) {
	counselor = e.counselor("cal-counselor", eyelevel.GenderFemale, []string{"ar*", "de"}, officeHours...)
	e.calAddress(counselor, "counselor@example.org", "de")
	client = e.client("leyla")
	e.calAddress(client, "leyla@example.org", "ar")
	return counselor, client
}

// TestCalBookingAndCancelMails: a booking mails both sides a REQUEST with
// one UID, in their languages (Arabic right to left), with the one-click
// cancel link for the client only; a cancellation mails both a CANCEL with
// the same UID and a higher SEQUENCE.
func TestCalBookingAndCancelMails(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, client := e.calWorld()
		appt := e.book(client, counselor, at(3, 10, 0))
		ms := byTo(t, e.deliver())
		if len(ms) != 2 {
			t.Fatalf("booking mails to %v, want client and counselor", ms)
		}
		uid := string(appt.ID) + "@eyelevel.example"
		for to, m := range ms {
			if m.Cal == nil || m.method() != "REQUEST" {
				t.Fatalf("mail to %s: calendar %v", to, m.P.ICS)
			}
			ev := m.event(t)
			if prop(ev, ics.ComponentPropertyUniqueId) != uid || prop(ev, ics.ComponentPropertySequence) != "0" ||
				prop(ev, ics.ComponentPropertyDtStart) != "20261203T100000Z" || prop(ev, ics.ComponentPropertyDtEnd) != "20261203T105000Z" ||
				prop(ev, ics.ComponentPropertyUrl) != "https://eyelevel.example/appointments/"+string(appt.ID)+"/room" {
				t.Errorf("event to %s:\n%s", to, m.P.ICS)
			}
			if o := ev.GetProperty(ics.ComponentPropertyOrganizer); o == nil {
				t.Errorf("no organizer to %s", to)
			}
			if as := ev.Attendees(); len(as) != 1 || as[0].Email() != to {
				t.Errorf("attendees to %s: %v", to, as)
			}
		}
		cm, km := ms["leyla@example.org"], ms["counselor@example.org"]
		if !strings.Contains(cm.P.HTML, `dir="rtl"`) || !strings.Contains(cm.P.Subject, "موعد") || !strings.Contains(cm.P.Text, "Counselor cal-counselor") {
			t.Errorf("client's mail is not the Arabic one:\n%s\n%s", cm.P.Subject, cm.P.Text)
		}
		if prop(cm.event(t), ics.ComponentPropertySummary) != "موعد على eyelevel" {
			t.Errorf("client's summary %q", prop(cm.event(t), ics.ComponentPropertySummary))
		}
		if !strings.Contains(km.P.HTML, `dir="ltr"`) || !strings.Contains(km.P.Text, "leyla") || !strings.Contains(km.P.Subject, "Termin") {
			t.Errorf("counselor's mail:\n%s\n%s", km.P.Subject, km.P.Text)
		}
		cancelToken(t, cm)
		if cancelLinkRE.MatchString(km.P.Text) {
			t.Error("the counselor's mail has the client's cancel link")
		}

		if _, err := e.svc.Cancel(e.ctx, client, appt.ID); err != nil {
			t.Fatal(err)
		}
		ms = byTo(t, e.deliver())
		if len(ms) != 2 {
			t.Fatalf("cancel mails to %v", ms)
		}
		for to, m := range ms {
			ev := m.event(t)
			if m.method() != "CANCEL" || prop(ev, ics.ComponentPropertyUniqueId) != uid || prop(ev, ics.ComponentPropertySequence) != "1" ||
				prop(ev, ics.ComponentPropertyStatus) != "CANCELLED" {
				t.Errorf("cancel to %s:\n%s", to, m.P.ICS)
			}
			if cancelLinkRE.MatchString(m.P.Text) {
				t.Errorf("cancel mail to %s carries a cancel link", to)
			}
		}
	})
}

// TestCalMailOnlyToWhoWantsIt: no verified address, or appointment mail
// switched off, gets no mail; the other side still does.
func TestCalMailOnlyToWhoWantsIt(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, client := e.calWorld()
		anon := e.client("no-mail")
		e.book(anon, counselor, at(3, 9, 0))
		if ms := e.deliver(); len(ms) != 1 || ms[0].To != "counselor@example.org" {
			t.Fatalf("mails %v, want the counselor's only", ms)
		}
		if _, err := e.raw.ExecContext(e.ctx, `UPDATE users SET notify_off = 'appointments' WHERE id = $1`, string(client.UserID)); err != nil {
			t.Fatal(err)
		}
		e.book(client, counselor, at(3, 11, 0))
		if ms := e.deliver(); len(ms) != 1 || ms[0].To != "counselor@example.org" {
			t.Fatalf("mails %v, want the counselor's only", ms)
		}
	})
}

// TestCalMailOffBooksWithoutOutbox: with mail off, booking and cancelling
// queue nothing (the fast path stays).
func TestCalMailOffBooksWithoutOutbox(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		counselor := e.counselor("mailoff-c", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		client := e.client("mailoff-k")
		a := e.book(client, counselor, at(3, 10, 0))
		if _, err := e.svc.Cancel(e.ctx, client, a.ID); err != nil {
			t.Fatal(err)
		}
		if out, err := e.db.Outbox(e.ctx, "", 10); err != nil || len(out) != 0 {
			t.Fatalf("outbox %v, %v", out, err)
		}
	})
}

// TestCalReschedule: the client moves a session to another free slot: same
// id and UID, higher SEQUENCE, REQUEST to both, the old slot free again,
// and every rule of booking and cancelling applies.
func TestCalReschedule(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, client := e.calWorld()
		other := e.client("other")
		appt := e.book(client, counselor, at(3, 10, 0))
		e.book(other, counselor, at(3, 14, 0))
		e.deliver()
		move := func(a eyelevel.Actor, start time.Time) error {
			_, err := e.svc.Reschedule(e.ctx, a, appt.ID, service.RescheduleInput{Start: start})
			return err
		}
		wantCode(t, move(client, at(3, 14, 0)), eyelevel.ECONFLICT) // taken
		wantCode(t, move(client, at(3, 10, 30)), eyelevel.EINVALID) // not a slot
		wantCode(t, move(client, at(3, 10, 0)), eyelevel.EINVALID)  // the same
		wantCode(t, move(client, at(3, 7, 0)), eyelevel.EINVALID)   // outside hours
		wantCode(t, move(client, at(0, 8, 30)), eyelevel.EINVALID)  // too soon
		wantCode(t, move(client, time.Time{}), eyelevel.EINVALID)
		wantCode(t, move(counselor, at(3, 15, 0)), eyelevel.EFORBIDDEN)
		wantCode(t, move(other, at(3, 15, 0)), eyelevel.ENOTFOUND)
		wantCode(t, move(e.admin, at(3, 15, 0)), eyelevel.ENOTFOUND)
		wantCode(t, move(eyelevel.Actor{}, at(3, 15, 0)), eyelevel.EUNAUTHORIZED)
		if ms := e.deliver(); len(ms) != 0 {
			t.Fatalf("refused moves mailed %d", len(ms))
		}

		// One hour later on the same day: its own day and neighbourhood
		// do not stand in its way.
		moved, err := e.svc.Reschedule(e.ctx, client, appt.ID, service.RescheduleInput{Start: at(3, 11, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if moved.ID != appt.ID || !moved.Start.Equal(at(3, 11, 0)) {
			t.Fatalf("moved %+v", moved)
		}
		got, err := e.svc.Appointment(e.ctx, client, appt.ID)
		if err != nil || !got.Start.Equal(at(3, 11, 0)) || got.Status != eyelevel.StatusBooked || got.PaidBy != appt.PaidBy {
			t.Fatalf("after the move %+v, %v", got, err)
		}
		ms := byTo(t, e.deliver())
		if len(ms) != 2 {
			t.Fatalf("reschedule mails %v", ms)
		}
		for to, m := range ms {
			ev := m.event(t)
			if m.method() != "REQUEST" || prop(ev, ics.ComponentPropertyUniqueId) != string(appt.ID)+"@eyelevel.example" ||
				prop(ev, ics.ComponentPropertySequence) != "1" || prop(ev, ics.ComponentPropertyDtStart) != "20261203T110000Z" {
				t.Errorf("reschedule to %s:\n%s", to, m.P.ICS)
			}
		}
		// The old time is free: another client books it.
		e.book(other, counselor, at(3, 10, 0))
		e.deliver()

		// Too close to move (within the 24 h notice), though still cancellable.
		e.clock.Advance(56 * time.Hour) // Wednesday 16:00: 19 h before
		wantKey(t, move(client, at(3, 15, 0)), eyelevel.ECONFLICT, "reschedule.err.late")
		if _, err := e.svc.Cancel(e.ctx, client, appt.ID); err != nil {
			t.Fatalf("cancel after a refused late move: %v", err)
		}
	})
}

// TestCalRescheduleRace: two clients moving their sessions to the same
// free slot at once: exactly one gets it, on both databases.
func TestCalRescheduleRace(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, _ := e.calWorld()
		var clients []eyelevel.Actor
		var appts []eyelevel.Appointment
		for i, h := range []int{9, 10, 11, 12, 13, 14} {
			c := e.client("racer-" + string(rune('a'+i)))
			clients = append(clients, c)
			appts = append(appts, e.book(c, counselor, at(4, h, 0)))
		}
		var wg sync.WaitGroup
		errs := make([]error, len(clients))
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.svc.Reschedule(e.ctx, clients[i], appts[i].ID, service.RescheduleInput{Start: at(4, 16, 0)})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if eyelevel.ErrorCode(err) != eyelevel.ECONFLICT {
				t.Errorf("race error %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d moves to one slot succeeded", ok)
		}
		busy, err := e.db.Busy(e.ctx, []eyelevel.UserID{counselor.UserID}, at(4, 0, 0), at(5, 0, 0))
		if err != nil || len(busy[counselor.UserID]) != 6 {
			t.Fatalf("busy %v, %v: want six sessions, none lost or doubled", busy, err)
		}
	})
}

// TestCalReminders: with a test clock, each reminder goes once at its time,
// never after a cancellation, never for a time that had passed at booking;
// two runs at once send it once.
func TestCalReminders(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, client := e.calWorld()
		late := e.client("late-booker")
		e.calAddress(late, "late@example.org", "tr")
		gone := e.client("canceller")
		e.calAddress(gone, "gone@example.org", "en")
		a := e.book(client, counselor, at(2, 10, 0)) // Wednesday 10:00
		c := e.book(gone, counselor, at(2, 12, 0))
		e.deliver()
		run := func() int {
			n, err := e.svc.SendReminders(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := run(); n != 0 {
			t.Fatalf("%d reminders two days ahead", n)
		}
		// Tuesday 10:00: the 24 h reminder of a, twice at once, sent once.
		e.clock.Advance(26 * time.Hour)
		var wg sync.WaitGroup
		counts := make([]int, 3)
		for i := range counts {
			wg.Add(1)
			go func() { defer wg.Done(); counts[i], _ = e.svc.SendReminders(e.ctx) }()
		}
		wg.Wait()
		if counts[0]+counts[1]+counts[2] != 1 {
			t.Fatalf("concurrent runs queued %v", counts)
		}
		ms := e.deliver()
		if len(ms) != 1 || ms[0].To != "leyla@example.org" || !strings.Contains(ms[0].P.HTML, `dir="rtl"`) {
			t.Fatalf("24 h reminders %v", ms)
		}
		tok := cancelToken(t, ms[0])
		if _, err := e.svc.CancelLinkInfo(e.ctx, tok); err != nil {
			t.Fatalf("reminder's cancel link: %v", err)
		}
		if n := run(); n != 0 {
			t.Fatalf("sent again: %d", n)
		}
		// c is cancelled before its 24 h reminder: none for it, ever.
		if _, err := e.svc.Cancel(e.ctx, gone, c.ID); err != nil {
			t.Fatal(err)
		}
		e.deliver()
		// Tuesday 11:00: a client books Tuesday 13:00, two hours ahead:
		// only the 1 h reminder.
		e.clock.Advance(time.Hour)
		b := e.book(late, counselor, at(1, 13, 0))
		e.deliver()
		if n := run(); n != 0 {
			t.Fatalf("reminders for times passed at booking: %d", n)
		}
		e.clock.Advance(time.Hour) // 12:00: b's 1 h reminder
		if n := run(); n != 1 {
			t.Fatalf("b's 1 h reminder: %d", n)
		}
		ms = e.deliver()
		if len(ms) != 1 || ms[0].To != "late@example.org" || ms[0].Cal != nil {
			t.Fatalf("1 h reminder %v", ms)
		}
		// Wednesday 09:00: a's 1 h reminder; nothing for c.
		e.clock.Advance(21 * time.Hour)
		if n := run(); n != 1 {
			t.Fatalf("a's 1 h reminder: %d", n)
		}
		ms = e.deliver()
		if len(ms) != 1 || ms[0].To != "leyla@example.org" {
			t.Fatalf("1 h reminders %v", ms)
		}
		e.clock.Advance(4 * time.Hour)
		if n := run(); n != 0 {
			t.Fatalf("after the sessions: %d", n)
		}
		_, _ = a, b
	})
}

// TestCalReminderRespectsPreference: reminders switched off: none.
func TestCalReminderRespectsPreference(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, client := e.calWorld()
		if _, err := e.raw.ExecContext(e.ctx, `UPDATE users SET notify_off = 'reminders' WHERE id = $1`, string(client.UserID)); err != nil {
			t.Fatal(err)
		}
		e.book(client, counselor, at(1, 10, 0))
		e.deliver()
		e.clock.Advance(25 * time.Hour)
		if _, err := e.svc.SendReminders(e.ctx); err != nil {
			t.Fatal(err)
		}
		if ms := e.deliver(); len(ms) != 0 {
			t.Fatalf("reminders to someone who switched them off: %v", ms)
		}
	})
}

// TestCalCancelLink: opening the link changes nothing; confirming cancels
// as the client and frees the slot; the link then works no more, nor one
// that is forged, expired or made before a move.
func TestCalCancelLink(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, client := e.calWorld()
		other := e.client("other")
		a := e.book(client, counselor, at(3, 10, 0))
		tok := cancelToken(t, byTo(t, e.deliver())["leyla@example.org"])
		for range 2 {
			l, err := e.svc.CancelLinkInfo(e.ctx, tok)
			if err != nil || l.Appointment.ID != a.ID || l.Late || l.Client.UserID != client.UserID || l.Appointment.CounselorName != "Counselor cal-counselor" {
				t.Fatalf("info %+v, %v", l, err)
			}
		}
		if got, _ := e.svc.Appointment(e.ctx, client, a.ID); got.Status != eyelevel.StatusBooked {
			t.Fatal("opening the link cancelled")
		}
		for _, bad := range []string{"", "x", tok + "x", strings.Replace(tok, ".0.", ".1.", 1), "a.b.c.d", strings.Repeat("a.", 300)} {
			_, err := e.svc.CancelLinkInfo(e.ctx, bad)
			wantCode(t, err, eyelevel.ENOTFOUND)
			_, err = e.svc.CancelByLink(e.ctx, bad)
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
		l, err := e.svc.CancelByLink(e.ctx, tok)
		if err != nil || l.Appointment.Status != eyelevel.StatusCancelled || l.Appointment.CancelledBy != client.UserID {
			t.Fatalf("cancel by link %+v, %v", l, err)
		}
		if ms := e.deliver(); len(ms) != 2 || ms[0].method() != "CANCEL" {
			t.Fatalf("cancel mails %v", ms)
		}
		_, err = e.svc.CancelByLink(e.ctx, tok)
		wantKey(t, err, eyelevel.ECONFLICT, "cancel_link.err.used")
		_, err = e.svc.CancelLinkInfo(e.ctx, tok)
		wantKey(t, err, eyelevel.ECONFLICT, "cancel_link.err.used")
		e.book(other, counselor, at(3, 10, 0)) // the slot is free
		e.deliver()

		// A link from before a move does not cancel the moved session.
		b := e.book(client, counselor, at(4, 10, 0))
		old := cancelToken(t, byTo(t, e.deliver())["leyla@example.org"])
		if _, err := e.svc.Reschedule(e.ctx, client, b.ID, service.RescheduleInput{Start: at(4, 11, 0)}); err != nil {
			t.Fatal(err)
		}
		fresh := cancelToken(t, byTo(t, e.deliver())["leyla@example.org"])
		_, err = e.svc.CancelByLink(e.ctx, old)
		wantKey(t, err, eyelevel.ECONFLICT, "cancel_link.err.used")

		// Within the notice period the link cancels late, as the client would.
		e.clock.Advance(4*24*time.Hour - 2*time.Hour) // Thursday 06:00: 5 h before
		info, err := e.svc.CancelLinkInfo(e.ctx, fresh)
		if err != nil || !info.Late {
			t.Fatalf("late info %+v, %v", info, err)
		}
		l, err = e.svc.CancelByLink(e.ctx, fresh)
		if err != nil || !l.Appointment.LateCancel {
			t.Fatalf("late cancel by link %+v, %v", l, err)
		}
		e.deliver()

		// Expired at the start.
		c := e.book(client, counselor, at(7, 10, 0))
		exp := cancelToken(t, byTo(t, e.deliver())["leyla@example.org"])
		e.clock.Advance(c.Start.Sub(e.clock.Now()))
		_, err = e.svc.CancelLinkInfo(e.ctx, exp)
		wantKey(t, err, eyelevel.ECONFLICT, "cancel_link.err.expired")
		_, err = e.svc.CancelByLink(e.ctx, exp)
		wantKey(t, err, eyelevel.ECONFLICT, "cancel_link.err.expired")
	})
}

// TestCalFeed: a counselor's feed lists their upcoming sessions under the
// clients' usernames; a new URL revokes the old; only counselors have one.
func TestCalFeed(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, client := e.calWorld()
		other := e.counselor("other-c", eyelevel.GenderMale, []string{"de"}, officeHours...)
		a := e.book(client, counselor, at(3, 10, 0))
		e.book(e.client("someone"), other, at(3, 10, 0))
		u1, err := e.svc.NewCalendarFeed(e.ctx, counselor)
		if err != nil || !strings.HasPrefix(u1, "https://eyelevel.example/calendar/") || !strings.HasSuffix(u1, ".ics") {
			t.Fatalf("feed url %q, %v", u1, err)
		}
		tok := strings.TrimSuffix(strings.TrimPrefix(u1, "https://eyelevel.example/calendar/"), ".ics")
		body, err := e.svc.CalendarFeed(e.ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		cal, err := ics.ParseCalendar(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		evs := cal.Events()
		if len(evs) != 1 || prop(evs[0], ics.ComponentPropertyUniqueId) != string(a.ID)+"@eyelevel.example" ||
			!strings.Contains(prop(evs[0], ics.ComponentPropertySummary), "leyla") || !strings.Contains(body, "METHOD:PUBLISH") {
			t.Fatalf("feed:\n%s", body)
		}
		var hashed int
		if err := e.raw.QueryRowContext(e.ctx, `SELECT count(*) FROM calendar_feeds WHERE token_hash = $1`, tok).Scan(&hashed); err != nil || hashed != 0 {
			t.Fatalf("the token is stored in the clear (%d, %v)", hashed, err)
		}
		u2, err := e.svc.NewCalendarFeed(e.ctx, counselor)
		if err != nil || u2 == u1 {
			t.Fatalf("renewed %q, %v", u2, err)
		}
		_, err = e.svc.CalendarFeed(e.ctx, tok)
		wantCode(t, err, eyelevel.ENOTFOUND)
		if _, err := e.svc.CancelByLink(e.ctx, tok); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Fatalf("a feed token cancels: %v", err)
		}
		for _, who := range []eyelevel.Actor{client, e.admin} {
			_, err := e.svc.NewCalendarFeed(e.ctx, who)
			wantCode(t, err, eyelevel.EFORBIDDEN)
		}
		_, err = e.svc.NewCalendarFeed(e.ctx, eyelevel.Actor{})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		_, err = e.svc.CalendarFeed(e.ctx, "")
		wantCode(t, err, eyelevel.ENOTFOUND)
	})
}

// TestCalWaitlistMail: a client told of capacity also gets a mail, once.
func TestCalWaitlistMail(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		client := e.client("waiting")
		e.calAddress(client, "waiting@example.org", "fa")
		if err := e.svc.JoinWaitlist(e.ctx, client, service.SearchInput{Language: "fa"}); err != nil {
			t.Fatal(err)
		}
		c := e.counselor("fa-counselor", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		_ = c
		if n, err := e.svc.NotifyWaitlist(e.ctx); err != nil || n != 1 {
			t.Fatalf("notified %d, %v", n, err)
		}
		ms := e.deliver()
		if len(ms) != 1 || ms[0].To != "waiting@example.org" || !strings.Contains(ms[0].P.HTML, `dir="rtl"`) ||
			!strings.Contains(ms[0].P.Text, "https://eyelevel.example/counselors?language=fa") || !strings.Contains(ms[0].P.Text, "فارسی") {
			t.Fatalf("waitlist mail %+v", ms)
		}
		if n, _ := e.svc.NotifyWaitlist(e.ctx); n != 0 {
			t.Fatalf("notified again: %d", n)
		}
		if ms := e.deliver(); len(ms) != 0 {
			t.Fatalf("mailed again: %d", len(ms))
		}
	})
}

var _ = store.SQLite

// TestCalRescheduleByCarePoint: the care point that registered a client
// moves the client's session; the organization's credit stays with it
// (nothing drawn or returned); another care point finds nothing.
func TestCalRescheduleByCarePoint(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		e.charge(true)
		mia := e.counselor("cal-mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		k := e.storedContract(eyelevel.Contract{LateCancelCounts: true})
		ana, ben := e.staff(eyelevel.RoleCarePoint, "cal-ana", k.OrganizationID), e.staff(eyelevel.RoleCarePoint, "cal-ben", k.OrganizationID)
		nour := e.client("cal-nour")
		e.registered(nour, ana, k)
		credit := e.grant(nour, k, false)
		a, err := e.svc.Book(e.ctx, ana, service.BookInput{CounselorID: mia.UserID, Start: at(2, 10, 0), ClientID: nour.UserID})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Reschedule(e.ctx, ben, a.ID, service.RescheduleInput{Start: at(2, 11, 0)})
		wantCode(t, err, eyelevel.ENOTFOUND)
		moved, err := e.svc.Reschedule(e.ctx, ana, a.ID, service.RescheduleInput{Start: at(2, 11, 0)})
		if err != nil || !moved.Start.Equal(at(2, 11, 0)) {
			t.Fatalf("moved by the care point %+v, %v", moved, err)
		}
		got, err := e.db.Appointment(e.ctx, a.ID)
		if err != nil || got.CreditID != credit.ID || got.PaidBy != eyelevel.PaidOrganization || e.used(credit.ID) != 1 {
			t.Fatalf("after the move %+v (credit used %d), %v", got, e.used(credit.ID), err)
		}
		// Cancelling in time returns the credit, as for any session.
		if _, err := e.svc.Cancel(e.ctx, nour, a.ID); err != nil || e.used(credit.ID) != 0 {
			t.Fatalf("cancel: %v, used %d", err, e.used(credit.ID))
		}
	})
}

// TestCalRemindersAfterMove: a moved session is reminded for its new
// time, except for reminder times that had passed when it moved.
func TestCalRemindersAfterMove(t *testing.T) {
	calForEach(t, func(t *testing.T, e *calEnv) {
		counselor, client := e.calWorld()
		a := e.book(client, counselor, at(3, 10, 0)) // Thursday 10:00
		b := e.book(client, counselor, at(4, 12, 0)) // Friday 12:00
		e.deliver()
		run := func() int {
			n, err := e.svc.SendReminders(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		e.clock.Advance(2*24*time.Hour + 2*time.Hour) // Wednesday 10:00
		if n := run(); n != 1 {
			t.Fatalf("a's 24 h reminder: %d", n)
		}
		// a moves to Thursday 15:00: its 24 h reminder is due again at
		// Wednesday 15:00. b moves to Thursday 09:00, 23 h ahead: its 24 h
		// reminder time has passed, only the 1 h one goes.
		for _, m := range []struct {
			id eyelevel.AppointmentID
			to time.Time
		}{{a.ID, at(3, 15, 0)}, {b.ID, at(3, 9, 0)}} {
			if _, err := e.svc.Reschedule(e.ctx, client, m.id, service.RescheduleInput{Start: m.to}); err != nil {
				t.Fatal(err)
			}
		}
		if n := run(); n != 0 {
			t.Fatalf("reminders right after the moves: %d", n)
		}
		e.clock.Advance(5 * time.Hour) // Wednesday 15:00
		if n := run(); n != 1 {
			t.Fatalf("a's new 24 h reminder: %d", n)
		}
		e.clock.Advance(17 * time.Hour) // Thursday 08:00: b's 1 h reminder
		if n := run(); n != 1 {
			t.Fatalf("b's 1 h reminder: %d", n)
		}
		e.clock.Advance(6 * time.Hour) // Thursday 14:00: a's 1 h reminder
		if n := run(); n != 1 {
			t.Fatalf("a's 1 h reminder: %d", n)
		}
		ms := e.deliver()
		reminders := 0
		for _, m := range ms {
			if strings.Contains(m.P.Subject, "تذكير") {
				reminders++
			}
		}
		if reminders != 4 {
			t.Fatalf("%d reminders delivered, want 4", reminders)
		}
	})
}
