package service_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

// wsWorld is the workspace fixture, on monday:
//
//   - counselor X (owner) has client A booked Wednesday 10:00 UTC (apptA);
//   - counselor Y (other) has client B booked Wednesday 11:00;
//   - X proposed colleague Zb to A (still open) and colleague Za, whom A
//     accepted; W is a counselor nobody proposed yet;
//   - an organization's care point and organization admin.
type wsWorld struct {
	*env
	x, y, zb, za, w eyelevel.Actor
	a, b            eyelevel.Actor
	carepoint       eyelevel.Actor
	orgadmin        eyelevel.Actor
	apptA, apptB    eyelevel.Appointment
	n               int // for fresh
}

// fresh creates a counselor nobody has proposed yet.
func (w *wsWorld) fresh() eyelevel.Actor {
	w.t.Helper()
	w.n++
	return w.counselor(fmt.Sprintf("fresh-%d", w.n), eyelevel.GenderMale, []string{"de"})
}

func newWSWorld(e *env) *wsWorld {
	e.t.Helper()
	w := &wsWorld{env: e}
	w.x = e.counselor("owner-x", eyelevel.GenderFemale, []string{"de"}, officeHours...)
	w.y = e.counselor("other-y", eyelevel.GenderFemale, []string{"de"}, officeHours...)
	w.zb = e.counselor("before-zb", eyelevel.GenderMale, []string{"de"}, officeHours...)
	w.za = e.counselor("after-za", eyelevel.GenderMale, []string{"de"}, officeHours...)
	w.w = e.counselor("colleague-w", eyelevel.GenderMale, []string{"de"}, officeHours...)
	w.a, w.b = e.client("alice"), e.client("bob")
	w.apptA = e.book(w.a, w.x, at(2, 10, 0))
	w.apptB = e.book(w.b, w.y, at(2, 11, 0))
	w.wsPropose(w.x, w.a, w.zb)
	h := w.wsPropose(w.x, w.a, w.za)
	if _, err := e.svc.DecideHandover(e.ctx, w.a, h.ID, true); err != nil {
		e.t.Fatal(err)
	}
	o := e.org("Shelter", "shelter")
	w.carepoint = e.staff(eyelevel.RoleCarePoint, "carepoint", o.ID)
	w.orgadmin = e.staff(eyelevel.RoleOrgAdmin, "orgadmin", o.ID)
	return w
}

func (w *wsWorld) wsPropose(by, client, to eyelevel.Actor) service.Handover {
	w.t.Helper()
	h, err := w.svc.ProposeHandover(w.ctx, by, service.HandoverInput{ClientID: client.UserID, ToCounselorID: to.UserID, Note: "Frau Z. spricht auch Farsi"})
	if err != nil {
		w.t.Fatalf("propose: %v", err)
	}
	return h
}

// wsAbsence enters an absence of c on the days from..to.
func (w *wsWorld) wsAbsence(c eyelevel.Actor, from, to string) service.Absence {
	w.t.Helper()
	ab, err := w.svc.AddAbsence(w.ctx, c, service.AbsenceInput{From: from, To: to, Message: "Ich bin ab dem 14. zurück."})
	if err != nil {
		w.t.Fatalf("absence: %v", err)
	}
	return ab
}

// TestWorkspaceAuthz states who may do what in the counselor's workspace:
// every role against every action, "" meaning allowed. A note, an absence
// and a hand-over are their owner's; a colleague sees a client only after
// the client accepted the hand-over.
func TestWorkspaceAuthz(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWSWorld(e)
		if _, err := e.svc.PutSessionNote(e.ctx, w.x, w.apptA.ID, "note of X"); err != nil {
			t.Fatal(err)
		}
		anon := eyelevel.Actor{}
		actors := []struct {
			name string
			a    eyelevel.Actor
		}{
			{"anonymous", anon}, {"owner X", w.x}, {"other counselor Y", w.y}, {"colleague before", w.zb},
			{"colleague after", w.za}, {"client A", w.a}, {"client B", w.b}, {"admin", e.admin},
			{"carepoint", w.carepoint}, {"orgadmin", w.orgadmin},
		}
		const ok, nf, un, fb, na = "", eyelevel.ENOTFOUND, eyelevel.EUNAUTHORIZED, eyelevel.EFORBIDDEN, "skip"
		type action struct {
			name string
			do   func(a eyelevel.Actor) error
			want []string // in the order of actors
		}
		ctx := e.ctx
		actions := []action{
			{"get note", func(a eyelevel.Actor) error { _, err := e.svc.SessionNote(ctx, a, w.apptA.ID); return err },
				[]string{un, ok, nf, nf, nf, nf, nf, nf, nf, nf}},
			{"put note", func(a eyelevel.Actor) error {
				_, err := e.svc.PutSessionNote(ctx, a, w.apptA.ID, "note of X")
				return err
			},
				[]string{un, ok, nf, nf, nf, nf, nf, nf, nf, nf}},
			{"workspace", func(a eyelevel.Actor) error { _, err := e.svc.Workspace(ctx, a); return err },
				[]string{un, ok, ok, ok, ok, fb, fb, fb, nf, nf}},
			{"caseload", func(a eyelevel.Actor) error { _, err := e.svc.Caseload(ctx, a); return err },
				[]string{un, ok, ok, ok, ok, fb, fb, fb, nf, nf}},
			{"add absence", func(a eyelevel.Actor) error {
				_, err := e.svc.AddAbsence(ctx, a, service.AbsenceInput{From: "2027-03-01", To: "2027-03-02", Message: "Away"})
				return err
			}, []string{un, ok, ok, ok, ok, fb, fb, fb, nf, nf}},
			{"list absences", func(a eyelevel.Actor) error { _, err := e.svc.Absences(ctx, a); return err },
				[]string{un, ok, ok, ok, ok, fb, fb, fb, nf, nf}},
			{"delete X's absence", func(a eyelevel.Actor) error {
				ab := w.wsAbsence(w.x, "2027-04-01", "2027-04-01")
				return e.svc.DeleteAbsence(ctx, a, ab.ID)
			}, []string{un, ok, nf, nf, nf, fb, fb, fb, nf, nf}},
			{"cancel sessions of X's absence", func(a eyelevel.Actor) error {
				ab := w.wsAbsence(w.x, "2027-05-03", "2027-05-03")
				_, err := e.svc.CancelAbsenceSessions(ctx, a, ab.ID)
				return err
			}, []string{un, ok, nf, nf, nf, fb, fb, fb, nf, nf}},
			{"propose a colleague to A", func(a eyelevel.Actor) error {
				_, err := e.svc.ProposeHandover(ctx, a, service.HandoverInput{ClientID: w.a.UserID, ToCounselorID: w.fresh().UserID})
				return err
			}, []string{un, ok, nf, nf, ok, nf, nf, nf, nf, nf}},
			{"list hand-overs", func(a eyelevel.Actor) error { _, err := e.svc.Handovers(ctx, a, ""); return err },
				[]string{un, ok, ok, ok, ok, ok, ok, fb, nf, nf}},
			{"accept a proposal to A", func(a eyelevel.Actor) error {
				h := w.wsPropose(w.x, w.a, w.fresh())
				_, err := e.svc.DecideHandover(ctx, a, h.ID, true)
				return err
			}, []string{un, nf, nf, nf, nf, ok, nf, nf, nf, nf}},
			{"decline a proposal to A", func(a eyelevel.Actor) error {
				h := w.wsPropose(w.x, w.a, w.fresh())
				_, err := e.svc.DecideHandover(ctx, a, h.ID, false)
				return err
			}, []string{un, nf, nf, nf, nf, ok, nf, nf, nf, nf}},
			{"view client A", func(a eyelevel.Actor) error { _, err := e.svc.Client(ctx, a, w.a.UserID); return err },
				[]string{un, ok, nf, nf, ok, nf, nf, nf, nf, nf}},
			{"A's sessions and notes", func(a eyelevel.Actor) error { _, err := e.svc.ClientSessions(ctx, a, w.a.UserID); return err },
				[]string{un, ok, nf, nf, ok, nf, nf, nf, nf, nf}},
		}
		for _, act := range actions {
			for i, who := range actors {
				err := act.do(who.a)
				if got := eyelevel.ErrorCode(err); err == nil && act.want[i] != ok || err != nil && got != act.want[i] {
					t.Errorf("%s by %s: error %v (code %q), want %q", act.name, who.name, err, got, act.want[i])
				}
			}
		}
		// The colleague after the hand-over sees no note of X's session.
		n, err := e.svc.SessionNote(ctx, w.x, w.apptA.ID)
		if err != nil || n.Text != "note of X" {
			t.Errorf("X's note = %+v, %v", n, err)
		}
	})
}

// TestWorkspaceAbsenceHidesSlots: an absence takes its whole days (in the
// counselor's zone) out of the counselor's slots, the search's next free
// slot and booking at once — the cached directory included — and deleting
// it brings them back.
func TestWorkspaceAbsenceHidesSlots(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWSWorld(e)
		tue, wed := at(1, 0, 0), at(2, 0, 0)
		if got := e.slots(w.w, tue, wed); len(got) == 0 {
			t.Fatal("no slots on Tuesday before the absence")
		}
		// Warm the directory cache, as a search before the absence would.
		if _, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "de"}); err != nil {
			t.Fatal(err)
		}
		ab := w.wsAbsence(w.w, "2026-11-30", "2026-12-02") // today to Wednesday
		if got := e.slots(w.w, monday, at(3, 0, 0)); len(got) != 0 {
			t.Errorf("slots in the absence: %v", got)
		}
		if got := e.slots(w.w, at(3, 0, 0), at(4, 0, 0)); len(got) == 0 {
			t.Error("no slots on Thursday, after the absence")
		}
		ms, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "de"})
		wsMust(t, err)
		for _, m := range ms {
			if m.Counselor.ID == w.w.UserID && (m.NextSlot == nil || !m.NextSlot.Start.Equal(at(3, 9, 0))) {
				t.Errorf("search offers %v, want Thursday 09:00, the first slot after the absence", m.NextSlot)
			}
		}
		_, err = e.svc.Book(e.ctx, w.b, service.BookInput{CounselorID: w.w.UserID, Start: at(1, 10, 0)})
		wantCode(t, err, eyelevel.EINVALID)
		wsMust(t, e.svc.DeleteAbsence(e.ctx, w.w, ab.ID))
		if got := e.slots(w.w, tue, wed); len(got) == 0 {
			t.Error("no slots on Tuesday after deleting the absence")
		}
		e.book(w.b, w.w, at(1, 10, 0))
	})
}

// TestWorkspaceAbsenceCancelsSessions: sessions booked in an absence are
// listed, not cancelled, until the counselor confirms; then each is
// cancelled as the counselor's cancellation (the paid credit returns) and
// each client gets the absence's message — sealed, not in plain text.
func TestWorkspaceAbsenceCancelsSessions(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWSWorld(e)
		e.charge(true)
		credit := e.bought(w.b, 2, at(60, 0, 0))
		inside := e.book(w.b, w.x, at(3, 9, 0)) // Thursday
		after := e.book(w.b, w.x, at(7, 9, 0))  // next Monday, after the absence
		if e.used(credit.ID) != 2 {
			t.Fatalf("used %d credits, want 2", e.used(credit.ID))
		}
		ab := w.wsAbsence(w.x, "2026-12-02", "2026-12-04") // Wednesday to Friday: apptA and inside
		var ids []eyelevel.AppointmentID
		for _, s := range ab.Sessions {
			ids = append(ids, s.ID)
		}
		if len(ids) != 2 || ids[0] != w.apptA.ID || ids[1] != inside.ID {
			t.Fatalf("sessions in the absence = %v, want %v and %v", ids, w.apptA.ID, inside.ID)
		}
		if st, _ := e.db.Appointment(e.ctx, inside.ID); st.Status != eyelevel.StatusBooked {
			t.Fatal("entering the absence cancelled a session")
		}
		done, err := e.svc.CancelAbsenceSessions(e.ctx, w.x, ab.ID)
		wsMust(t, err)
		if len(done) != 2 {
			t.Fatalf("cancelled %d sessions, want 2", len(done))
		}
		for _, id := range []eyelevel.AppointmentID{w.apptA.ID, inside.ID} {
			st, err := e.db.Appointment(e.ctx, id)
			wsMust(t, err)
			if st.Status != eyelevel.StatusCancelled || st.CancelledBy != w.x.UserID || st.LateCancel {
				t.Errorf("%s: status %s by %s late %v; want cancelled by the counselor, not late", id, st.Status, st.CancelledBy, st.LateCancel)
			}
		}
		if st, _ := e.db.Appointment(e.ctx, after.ID); st.Status != eyelevel.StatusBooked {
			t.Error("the session after the absence was cancelled")
		}
		if e.used(credit.ID) != 1 {
			t.Errorf("used %d credits after the cancellation, want 1 (the session after the absence)", e.used(credit.ID))
		}
		for _, c := range []eyelevel.Actor{w.a, w.b} {
			ms, err := e.db.Messages(e.ctx, c.UserID, w.x.UserID)
			wsMust(t, err)
			if len(ms) != 1 || ms[0].SenderID != w.x.UserID {
				t.Fatalf("%s got %d messages from X, want 1", c.UserID, len(ms))
			}
			if bytes.Contains(ms[0].Sealed, []byte("zurück")) {
				t.Error("the absence message is stored in plain text")
			}
		}
		// The clients stay X's: they can answer, and be handed over.
		if _, err := e.svc.SendMessage(e.ctx, w.b, w.x.UserID, "Gute Erholung"); err != nil {
			t.Errorf("client writing back after the cancellation: %v", err)
		}
		cl, err := e.svc.Caseload(e.ctx, w.x)
		wsMust(t, err)
		if len(cl) != 2 || !cl[0].Next.IsZero() || !cl[1].Next.Equal(at(7, 9, 0)) {
			t.Errorf("caseload after the cancellation = %+v", cl)
		}
		// A client's own cancellation does not keep them the counselor's client.
		carl := e.client("carl")
		e.bought(carl, 1, at(60, 0, 0))
		own := e.book(carl, w.x, at(8, 9, 0))
		_, err = e.svc.Cancel(e.ctx, carl, own.ID)
		wsMust(t, err)
		_, err = e.svc.Client(e.ctx, w.x, carl.UserID)
		wantCode(t, err, eyelevel.ENOTFOUND)
		// Nothing left to cancel: a second confirmation changes nothing.
		again, err := e.svc.CancelAbsenceSessions(e.ctx, w.x, ab.ID)
		if err != nil || len(again) != 0 {
			t.Errorf("second confirmation: %d cancelled, %v", len(again), err)
		}
	})
}

// TestWorkspaceHandover: before the client accepts, the colleague does not
// see the client; after, they do, count them in their caseload and may
// write to them; a declined proposal changes nothing, and a proposal is
// answered once.
func TestWorkspaceHandover(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWSWorld(e)
		e.clock.Advance(time.Minute) // the newest proposal
		h := w.wsPropose(w.x, w.a, w.w)
		if h.Note != "Frau Z. spricht auch Farsi" || h.ToName != "Counselor colleague-w" || h.Status != "proposed" {
			t.Errorf("proposal = %+v", h)
		}
		stored, err := e.db.HandoverByID(e.ctx, h.ID)
		wsMust(t, err)
		if len(stored.SealedNote) == 0 || bytes.Contains(stored.SealedNote, []byte("Farsi")) {
			t.Error("the hand-over note is not sealed")
		}
		_, err = e.svc.Client(e.ctx, w.w, w.a.UserID)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.SendMessage(e.ctx, w.w, w.a.UserID, "Hallo")
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.ProposeHandover(e.ctx, w.x, service.HandoverInput{ClientID: w.a.UserID, ToCounselorID: w.w.UserID})
		wantKey(t, err, eyelevel.ECONFLICT, "handover.err.open")
		hs, err := e.svc.Handovers(e.ctx, w.a, "")
		wsMust(t, err)
		if len(hs) != 3 || hs[0].ID != h.ID || hs[0].Note == "" {
			t.Errorf("client's list = %+v", hs)
		}
		got, err := e.svc.DecideHandover(e.ctx, w.a, h.ID, true)
		wsMust(t, err)
		if got.Status != "accepted" || got.DecidedAt.IsZero() {
			t.Errorf("accepted = %+v", got)
		}
		_, err = e.svc.DecideHandover(e.ctx, w.a, h.ID, false)
		wantKey(t, err, eyelevel.ECONFLICT, "handover.err.decided")
		if _, err := e.svc.Client(e.ctx, w.w, w.a.UserID); err != nil {
			t.Errorf("colleague after acceptance: %v", err)
		}
		if _, err := e.svc.SendMessage(e.ctx, w.w, w.a.UserID, "Hallo"); err != nil {
			t.Errorf("colleague writing after acceptance: %v", err)
		}
		if hs, err := e.svc.Handovers(e.ctx, w.w, ""); err != nil || len(hs) != 1 || hs[0].Note != "" || hs[0].Status != "accepted" {
			t.Errorf("the colleague's list = %+v, %v; want the accepted one without X's note", hs, err)
		}
		cl, err := e.svc.Caseload(e.ctx, w.w)
		wsMust(t, err)
		if len(cl) != 1 || cl[0].ClientID != w.a.UserID || !cl[0].Next.IsZero() || cl[0].Held != 0 {
			t.Errorf("colleague's caseload = %+v", cl)
		}
		e.book(w.a, w.w, at(3, 10, 0)) // and books the colleague as usual
		// The acceptance counts for the care window, like a session.
		e.clock.Advance(181 * 24 * time.Hour)
		_, err = e.svc.Client(e.ctx, w.za, w.a.UserID)
		wantCode(t, err, eyelevel.ENOTFOUND)
		// A declined proposal gives no access.
		d := w.wsPropose(w.y, w.b, w.fresh())
		_, err = e.svc.DecideHandover(e.ctx, w.b, d.ID, false)
		wsMust(t, err)
		_, err = e.svc.Client(e.ctx, eyelevel.Actor{UserID: d.ToCounselorID, Role: eyelevel.RoleCounselor}, w.b.UserID)
		wantCode(t, err, eyelevel.ENOTFOUND)
	})
}

// TestWorkspaceNotes: a note is sealed at rest, editable, deleted by empty
// text, bounded, and its author's alone.
func TestWorkspaceNotes(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWSWorld(e)
		const text = "Schlafprobleme seit dem Umzug; Schwester erwähnt"
		n, err := e.svc.PutSessionNote(e.ctx, w.x, w.apptA.ID, "  "+text+"  ")
		wsMust(t, err)
		if n.Text != text || n.UpdatedAt.IsZero() {
			t.Errorf("saved = %+v", n)
		}
		stored, err := e.db.GetSessionNote(e.ctx, w.apptA.ID)
		wsMust(t, err)
		if bytes.Contains(stored.Sealed, []byte("Schlaf")) || len(stored.Sealed) < len(text) {
			t.Error("the note is not sealed at rest")
		}
		n, err = e.svc.PutSessionNote(e.ctx, w.x, w.apptA.ID, "zweite Fassung")
		wsMust(t, err)
		if got, _ := e.svc.SessionNote(e.ctx, w.x, w.apptA.ID); got.Text != "zweite Fassung" {
			t.Errorf("edited note = %q", got.Text)
		}
		ss, err := e.svc.ClientSessions(e.ctx, w.x, w.a.UserID)
		wsMust(t, err)
		if len(ss) != 1 || ss[0].Note.Text != "zweite Fassung" {
			t.Errorf("client sessions = %+v", ss)
		}
		// Sealed for this appointment and counselor: moved to another, it
		// does not open.
		wsMust(t, e.db.PutSessionNote(e.ctx, store.SessionNote{AppointmentID: w.apptA.ID, CounselorID: w.y.UserID, Sealed: stored.Sealed, UpdatedAt: monday}))
		_, err = e.svc.SessionNote(e.ctx, w.x, w.apptA.ID)
		wantCode(t, err, eyelevel.EUNAVAILABLE)
		_, err = e.svc.PutSessionNote(e.ctx, w.x, w.apptA.ID, strings.Repeat("ü", service.MaxNote+1))
		wantField(t, err, "text")
		_, err = e.svc.PutSessionNote(e.ctx, w.x, w.apptA.ID, strings.Repeat("ü", service.MaxNote))
		wsMust(t, err)
		_, err = e.svc.PutSessionNote(e.ctx, w.x, w.apptA.ID, "   ")
		wsMust(t, err)
		if _, err := e.db.GetSessionNote(e.ctx, w.apptA.ID); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("empty text left a note: %v", err)
		}
		if got, _ := e.svc.SessionNote(e.ctx, w.x, w.apptA.ID); got.Text != "" || !got.UpdatedAt.IsZero() {
			t.Errorf("deleted note = %+v", got)
		}
		// Nor is it in the client's export.
		_, err = e.svc.PutSessionNote(e.ctx, w.x, w.apptA.ID, text)
		wsMust(t, err)
		x, err := e.svc.Export(e.ctx, w.a)
		wsMust(t, err)
		if strings.Contains(fmt.Sprintf("%+v", x), "Schlaf") {
			t.Error("the client's export holds the note")
		}
	})
}

// TestWorkspaceDashboard: the dashboard lists the week's sessions (today
// marked), open safety alerts, unread messages and due questionnaires;
// the caseload the clients with next and last session.
func TestWorkspaceDashboard(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWSWorld(e)
		today := e.book(w.b, w.x, at(0, 15, 0))
		e.book(w.b, w.x, at(9, 9, 0)) // beyond the week
		_, err := e.svc.RaiseAlert(e.ctx, w.a)
		wsMust(t, err)
		_, err = e.svc.SendMessage(e.ctx, w.a, w.x.UserID, "Ich habe eine Frage")
		wsMust(t, err)
		_, err = e.svc.SendMessage(e.ctx, w.x, w.a.UserID, "Gern") // the counselor's own: not unread
		wsMust(t, err)
		ws, err := e.svc.Workspace(e.ctx, w.x)
		wsMust(t, err)
		if len(ws.Sessions) != 2 || ws.Sessions[0].ID != today.ID || !ws.Sessions[0].Today || ws.Sessions[1].ID != w.apptA.ID || ws.Sessions[1].Today {
			t.Errorf("sessions = %+v", ws.Sessions)
		}
		if len(ws.Alerts) != 1 || ws.Alerts[0].ClientID != w.a.UserID {
			t.Errorf("alerts = %+v", ws.Alerts)
		}
		if len(ws.Unread) != 1 || ws.Unread[0].ClientID != w.a.UserID || ws.Unread[0].Count != 1 || ws.Unread[0].Username != "alice" {
			t.Errorf("unread = %+v", ws.Unread)
		}
		if len(ws.Tasks) != 2 || ws.Tasks[0].Tasks[0].Occasion != service.OccasionIntake {
			t.Errorf("tasks = %+v", ws.Tasks)
		}
		// The colleague after the hand-over sees A's alert too: one rule.
		if wz, err := e.svc.Workspace(e.ctx, w.za); err != nil || len(wz.Alerts) != 1 {
			t.Errorf("colleague's alerts = %+v, %v", wz.Alerts, err)
		}
		e.clock.Advance(at(2, 12, 0).Sub(monday)) // A's and B's first sessions are over
		cl, err := e.svc.Caseload(e.ctx, w.x)
		wsMust(t, err)
		if len(cl) != 2 || cl[0].Username != "alice" || cl[1].Username != "bob" {
			t.Fatalf("caseload = %+v", cl)
		}
		if a := cl[0]; !a.Next.IsZero() || !a.Last.Equal(at(2, 10, 0)) || a.Held != 1 || !a.OpenAlert {
			t.Errorf("alice = %+v", a)
		}
		if b := cl[1]; !b.Next.Equal(at(9, 9, 0)) || !b.Last.Equal(at(0, 15, 0)) || b.Held != 1 || b.OpenAlert {
			t.Errorf("bob = %+v", b)
		}
	})
}

// TestWorkspaceBadInput: every malformed absence and hand-over is refused
// on its field, and nothing is stored.
func TestWorkspaceBadInput(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWSWorld(e)
		long := strings.Repeat("a", service.MaxAbsenceMessage+1)
		for _, c := range []struct {
			in    service.AbsenceInput
			field string
		}{
			{service.AbsenceInput{From: "", To: "2026-12-03", Message: "m"}, "from"},
			{service.AbsenceInput{From: "2026-12-03", To: "3.12.2026", Message: "m"}, "to"},
			{service.AbsenceInput{From: "2026-11-29", To: "2026-12-03", Message: "m"}, "from"},
			{service.AbsenceInput{From: "2027-12-30", To: "2027-12-31", Message: "m"}, "from"},
			{service.AbsenceInput{From: "2026-12-03", To: "2026-12-02", Message: "m"}, "to"},
			{service.AbsenceInput{From: "2026-12-03", To: "2027-06-03", Message: "m"}, "to"},
			{service.AbsenceInput{From: "2026-12-03", To: "2026-12-03", Message: "  "}, "message"},
			{service.AbsenceInput{From: "2026-12-03", To: "2026-12-03", Message: long}, "message"},
		} {
			_, err := e.svc.AddAbsence(e.ctx, w.x, c.in)
			wantField(t, err, c.field)
		}
		if as, _ := e.svc.Absences(e.ctx, w.x); len(as) != 0 {
			t.Errorf("stored %d absences", len(as))
		}
		// Today is allowed (a sick day).
		if _, err := e.svc.AddAbsence(e.ctx, w.x, service.AbsenceInput{From: "2026-11-30", To: "2026-11-30", Message: "krank"}); err != nil {
			t.Errorf("absence today: %v", err)
		}
		for i := 1; i < service.MaxAbsences; i++ {
			w.wsAbsence(w.x, "2027-01-04", "2027-01-05")
		}
		_, err := e.svc.AddAbsence(e.ctx, w.x, service.AbsenceInput{From: "2027-01-04", To: "2027-01-05", Message: "m"})
		wantKey(t, err, eyelevel.ECONFLICT, "absence.err.too_many")
		for _, c := range []struct {
			in    service.HandoverInput
			field string
		}{
			{service.HandoverInput{ClientID: w.a.UserID}, "to_counselor_id"},
			{service.HandoverInput{ClientID: w.a.UserID, ToCounselorID: w.x.UserID}, "to_counselor_id"},
			{service.HandoverInput{ClientID: w.a.UserID, ToCounselorID: w.b.UserID}, "to_counselor_id"},
			{service.HandoverInput{ClientID: w.a.UserID, ToCounselorID: "nobody"}, "to_counselor_id"},
			{service.HandoverInput{ClientID: w.a.UserID, ToCounselorID: w.w.UserID, Note: strings.Repeat("n", service.MaxHandoverNote+1)}, "note"},
		} {
			_, err := e.svc.ProposeHandover(e.ctx, w.x, c.in)
			wantField(t, err, c.field)
		}
		_, err = e.svc.ProposeHandover(e.ctx, w.x, service.HandoverInput{ClientID: w.a.UserID, ToCounselorID: w.za.UserID})
		wantKey(t, err, eyelevel.ECONFLICT, "handover.err.already")
		_, err = e.svc.DecideHandover(e.ctx, w.a, "no-such-id", true)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.SessionNote(e.ctx, w.x, "no-such-id")
		wantCode(t, err, eyelevel.ENOTFOUND)
	})
}

// wsMust fails the test on err.
func wsMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
