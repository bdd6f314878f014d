package service_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

// buyer is a test world of organizations and contracts, built through the
// store: what code redemption and booking would have left behind.
type buyer struct {
	*env
	x     eyelevel.Actor // the counselor of every session
	slot  time.Duration  // distinct session starts for the counselor
	users int
}

func newBuyer(e *env) *buyer {
	return &buyer{env: e, x: e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"})}
}

func (b *buyer) org(slug string) eyelevel.Organization {
	b.t.Helper()
	o := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Org " + slug, Slug: slug, CreatedAt: monday}
	if err := b.db.CreateOrganization(b.ctx, o); err != nil {
		b.t.Fatal(err)
	}
	return o
}

func (b *buyer) contract(org eyelevel.Organization, starts, ends string, pool, grace int) eyelevel.Contract {
	b.t.Helper()
	k := eyelevel.Contract{ID: eyelevel.NewID(), OrganizationID: org.ID, OrganizationName: org.Name, Starts: starts, Ends: ends,
		SessionsPerPerson: 5, Pool: pool, GraceDays: grace, LateCancelCounts: true, Goals: "Fewer sick days.", CreatedAt: monday}
	if err := b.db.CreateContract(b.ctx, k); err != nil {
		b.t.Fatal(err)
	}
	return k
}

// staff creates a user of role, on org's staff when org is not "".
func (b *buyer) staff(role eyelevel.Role, org string) eyelevel.Actor {
	b.t.Helper()
	b.users++
	u := eyelevel.User{ID: eyelevel.UserID(eyelevel.NewID()), Username: fmt.Sprintf("u%d", b.users), Role: role, PasswordHash: "x",
		Language: "de", TimeZone: "UTC", CreatedAt: monday}
	if err := b.db.CreateUser(b.ctx, u); err != nil {
		b.t.Fatal(err)
	}
	if org != "" {
		if err := b.db.AddStaff(b.ctx, u.ID, org, "Staff"); err != nil {
			b.t.Fatal(err)
		}
	}
	return actorOf(u)
}

// session gives a new client of contract k (UI language lang) a credit
// and one session starting at start that ended as attendance ("" for a
// late cancellation), and returns the client and the appointment.
func (b *buyer) session(k eyelevel.Contract, lang string, start time.Time, attendance string) (eyelevel.Actor, eyelevel.Appointment) {
	b.t.Helper()
	c := b.staff(eyelevel.RoleClient, "")
	if _, err := b.db.Exec(b.ctx, `UPDATE users SET language = $1 WHERE id = $2`, lang, string(c.UserID)); err != nil {
		b.t.Fatal(err)
	}
	cr := eyelevel.Credit{ID: eyelevel.NewID(), ClientID: c.UserID, Source: eyelevel.SourceOrganization, ContractID: k.ID, Granted: 5, Used: 1,
		Started: true, ExpiresAt: k.GraceEnd(), CreatedAt: start.Add(-24 * time.Hour)}
	if err := b.db.GrantCredit(b.ctx, cr); err != nil {
		b.t.Fatal(err)
	}
	b.slot += time.Minute
	start = start.Add(b.slot)
	a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: b.x.UserID, ClientID: c.UserID, Start: start, End: start.Add(50 * time.Minute),
		Status: eyelevel.StatusBooked, CreatedAt: start.Add(-24 * time.Hour), PaidBy: eyelevel.PaidOrganization, CreditID: cr.ID, ContractID: k.ID}
	if err := b.db.CreateAppointment(b.ctx, a); err != nil {
		b.t.Fatal(err)
	}
	q := `UPDATE appointments SET attendance = $1 WHERE id = $2`
	if attendance == "" {
		q = `UPDATE appointments SET status = 'cancelled', late_cancel = 1, cancelled_at = start_at - 3600 WHERE id = $2 AND $1 = ''`
	}
	if _, err := b.db.Exec(b.ctx, q, attendance, string(a.ID)); err != nil {
		b.t.Fatal(err)
	}
	return c, a
}

// held gives n new clients of k one session held each on day of month.
func (b *buyer) held(k eyelevel.Contract, n int, month time.Month, lang string) {
	b.t.Helper()
	for range n {
		c, a := b.session(k, lang, time.Date(2026, month, 10, 9, 0, 0, 0, time.UTC), "held")
		if err := b.db.CreateRating(b.ctx, eyelevel.Rating{AppointmentID: a.ID, CounselorID: b.x.UserID, ClientID: c.UserID, Stars: 4, CreatedAt: a.End}); err != nil {
			b.t.Fatal(err)
		}
	}
}

func month(m time.Month) (time.Time, time.Time) {
	from := time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 1, 0)
}

func (b *buyer) report(k eyelevel.Contract, from, to time.Time) service.BuyerReport {
	b.t.Helper()
	r, err := b.svc.BuyerReport(b.ctx, b.admin, k.ID, from, to)
	if err != nil {
		b.t.Fatalf("report %v–%v: %v", from, to, err)
	}
	return r
}

// Nine people are hidden, ten shown; a quarter cannot be differenced
// against its months, nor a year against its quarters.
func TestBuyerReportSuppression(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := newBuyer(e)
		k := b.contract(b.org("acme"), "2026-01-01", "2026-12-31", 1000, 30)
		b.held(k, 9, time.July, "ar")
		july, julyEnd := month(time.July)
		r := b.report(k, july, julyEnd)
		if r.Period != "2026-07" || r.Goals != "Fewer sick days." {
			t.Fatalf("period %q goals %q", r.Period, r.Goals)
		}
		for name, s := range map[string]service.Stat{"held": r.SessionsHeld, "started": r.PeopleStarted, "rating": r.Rating} {
			if !s.Suppressed || s.Value != 0 {
				t.Errorf("9 people: %s shown: %+v", name, s)
			}
		}
		if len(r.Languages) != 1 || !r.Languages[0].Clients.Suppressed {
			t.Errorf("9 people: languages %+v", r.Languages)
		}
		b.held(k, 1, time.July, "ar")
		e.forgetSnapshots() // July is long over: its first report was final
		r = b.report(k, july, julyEnd)
		if r.SessionsHeld.Suppressed || r.SessionsHeld.Value != 10 || r.PeopleStarted.Value != 10 || r.Rating.Value != 4 || r.Languages[0].Clients.Value != 10 {
			t.Fatalf("10 people: %+v", r)
		}
		if r.PoolLeft != 1000 || r.CodesIssued != 0 {
			t.Fatalf("pool %d codes %d", r.PoolLeft, r.CodesIssued)
		}

		// Ten German and three Arabic clients: the total is shown, so
		// showing the German ten would give the Arabic three away.
		b.held(k, 10, time.October, "de")
		b.held(k, 3, time.October, "ar")
		oct, octEnd := month(time.October)
		r = b.report(k, oct, octEnd)
		if r.SessionsHeld.Value != 13 || len(r.Languages) != 2 || !r.Languages[0].Clients.Suppressed || !r.Languages[1].Clients.Suppressed {
			t.Fatalf("October: held %+v, languages %+v", r.SessionsHeld, r.Languages)
		}

		// July and August with ten each, September with nine: the quarter
		// would give September away (29 − 10 − 10), so it is hidden.
		b.held(k, 10, time.August, "de")
		b.held(k, 9, time.September, "de")
		q3from, q3to := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)
		q := b.report(k, q3from, q3to)
		if q.Period != "2026-Q3" || !q.SessionsHeld.Suppressed || !q.PeopleStarted.Suppressed || !q.Rating.Suppressed {
			t.Fatalf("Q3 with a month of nine shown: %+v", q)
		}
		for _, l := range q.Languages {
			if l.Language == "de" && !l.Clients.Suppressed {
				t.Fatalf("Q3 German with nine in September shown: %+v", l)
			}
		}
		b.held(k, 1, time.September, "de")
		e.forgetSnapshots()
		q = b.report(k, q3from, q3to)
		if q.SessionsHeld.Suppressed || q.SessionsHeld.Value != 30 || q.PeopleStarted.Value != 30 {
			t.Fatalf("Q3 with ten a month: %+v", q)
		}
		langs := map[string]service.Stat{}
		for _, l := range q.Languages {
			langs[l.Language] = l.Clients
		}
		if langs["ar"].Value != 10 || langs["de"].Value != 20 {
			t.Fatalf("Q3 languages: %+v", q.Languages)
		}
		// The year: its first two quarters had nobody. The year minus them
		// reveals only that they were empty, so the year is shown (Q3's 30
		// and Q4's 13); October's hidden languages stay hidden in the year.
		// 2026 is over on 2 January.
		_, err := b.svc.BuyerReport(e.ctx, e.admin, k.ID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		wantField(t, err, "to")
		e.clock.Advance(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		y := b.report(k, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		if y.Period != "2026" || y.SessionsHeld.Suppressed || y.SessionsHeld.Value != 43 || y.PeopleStarted.Value != 43 || y.Rating.Suppressed {
			t.Fatalf("year with empty and shown quarters: %+v", y)
		}
		for _, l := range y.Languages {
			if !l.Clients.Suppressed {
				t.Fatalf("year language %s shown though October hides it: %+v", l.Language, y.Languages)
			}
		}
	})
}

func TestBuyerReportPeriods(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := newBuyer(e)
		k := b.contract(b.org("acme"), "2026-01-01", "2026-12-31", 0, 30)
		for _, p := range [][2]time.Time{
			{time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)}, // two quarters' months
			{time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},   // backwards
			{time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)},  // not one year
			{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, // not over
		} {
			_, err := b.svc.BuyerReport(e.ctx, e.admin, k.ID, p[0], p[1])
			wantField(t, err, "to")
		}
		r := b.report(k, time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC))
		if r.Period != "2026-10" || r.PoolLeft != -1 {
			t.Fatalf("a day widens to its month: %s, pool %d", r.Period, r.PoolLeft)
		}
		if q := b.report(k, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC)); q.Period != "2026-Q3" {
			t.Fatalf("two months of a quarter widen to it: %s", q.Period)
		}
		_, err := b.svc.FinalReport(e.ctx, e.admin, k.ID)
		wantCode(t, err, eyelevel.ECONFLICT)
		_, err = b.svc.BuyerReport(e.ctx, e.admin, "nope", r.From, r.To)
		wantCode(t, err, eyelevel.ENOTFOUND)
	})
}

// Admins and the orgadmins of the contract's organization read its
// reports; everyone else is told it does not exist.
func TestBuyerReportAuthorization(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := newBuyer(e)
		a, other := b.org("a"), b.org("b")
		k := b.contract(a, "2026-01-01", "2026-12-31", 0, 30)
		from, to := month(time.July)
		for _, c := range []struct {
			name  string
			actor eyelevel.Actor
			ok    bool
		}{
			{"admin", e.admin, true},
			{"orgadmin A", b.staff(eyelevel.RoleOrgAdmin, a.ID), true},
			{"orgadmin B", b.staff(eyelevel.RoleOrgAdmin, other.ID), false},
			{"orgadmin of none", b.staff(eyelevel.RoleOrgAdmin, ""), false},
			{"carepoint A", b.staff(eyelevel.RoleCarePoint, a.ID), false},
			{"counselor", b.x, false},
			{"client", b.staff(eyelevel.RoleClient, ""), false},
			{"anonymous", eyelevel.Actor{}, false},
		} {
			want := eyelevel.ENOTFOUND
			if c.ok {
				want = ""
			}
			_, err := b.svc.BuyerReport(e.ctx, c.actor, k.ID, from, to)
			if eyelevel.ErrorCode(err) != want && !(c.ok && err == nil) {
				t.Errorf("%s: report: %v, want %q", c.name, err, want)
			}
			_, err = b.svc.Statement(e.ctx, c.actor, k.ID, from)
			if eyelevel.ErrorCode(err) != want && !(c.ok && err == nil) {
				t.Errorf("%s: statement: %v, want %q", c.name, err, want)
			}
			_, err = b.svc.FinalReport(e.ctx, c.actor, k.ID)
			if c.ok {
				want = eyelevel.ECONFLICT
			}
			if eyelevel.ErrorCode(err) != want {
				t.Errorf("%s: final: %v, want %q", c.name, err, want)
			}
		}
	})
}

func TestStatement(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := newBuyer(e)
		org := b.org("acme")
		k := b.contract(org, "2026-01-01", "2026-12-31", 0, 30)
		b.held(k, 3, time.July, "de")
		jul := time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC)
		b.session(k, "de", jul, "")               // a late cancellation
		b.session(k, "de", jul, "no_show_client") // the client's no-show
		b.session(k, "de", jul, "no_show_counselor")
		b.session(k, "de", time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC), "held")
		st, err := b.svc.Statement(e.ctx, e.admin, k.ID, jul)
		if err != nil {
			t.Fatal(err)
		}
		want := service.Statement{ContractID: k.ID, Organization: org.Name, Month: "2026-07", SessionsHeld: 3, LateCancellations: 1, NoShows: 1, Billable: 5}
		if st != want {
			t.Fatalf("statement = %+v, want %+v", st, want)
		}
		if err := e.db.SetPricing(e.ctx, eyelevel.Pricing{Currency: "EUR", SessionPrice: 6500, Packages: []int{1}}, monday); err != nil {
			t.Fatal(err)
		}
		st, _ = b.svc.Statement(e.ctx, e.admin, k.ID, jul)
		if st.Currency != "EUR" || st.UnitPrice != 6500 || st.Amount != 5*6500 {
			t.Fatalf("priced statement = %+v", st)
		}
		// Without late_cancel_counts only sessions held are billed.
		if _, err := e.db.Exec(e.ctx, `UPDATE contracts SET late_cancel_counts = 0 WHERE id = $1`, k.ID); err != nil {
			t.Fatal(err)
		}
		st, _ = b.svc.Statement(e.ctx, e.admin, k.ID, jul)
		if st.Billable != 3 || st.LateCancellations != 0 || st.NoShows != 0 {
			t.Fatalf("statement without late_cancel_counts = %+v", st)
		}
		_, err = b.svc.Statement(e.ctx, e.admin, k.ID, monday)
		wantField(t, err, "month")
	})
}

// After the grace period the exit freezes the reports and statements and
// deletes the organization's link to its people; the reports read the
// same as before.
func TestCloseContracts(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := newBuyer(e)
		org := b.org("acme")
		k := b.contract(org, "2026-01-01", "2026-06-30", 100, 30) // grace until 30 July
		open := b.contract(org, "2026-01-01", "2026-12-31", 0, 30)
		// Grace until 26 November: its last sessions may still be
		// corrected until 3 December 00:15 (room closes + 7 days).
		late := b.contract(org, "2026-10-01", "2026-11-15", 0, 10)
		b.session(late, "de", time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), "held")
		b.held(k, 10, time.May, "de")
		b.held(k, 12, time.June, "ar")
		b.held(open, 10, time.May, "de")
		client, _ := b.session(k, "tr", time.Date(2026, 7, 20, 9, 0, 0, 0, time.UTC), "held") // in the grace period
		cp := b.staff(eyelevel.RoleCarePoint, org.ID)
		if err := e.db.CreateCarePointLink(e.ctx, store.CarePointLink{ClientID: client.UserID, StaffID: cp.UserID, OrganizationID: org.ID, ContractID: k.ID, ConsentVersion: "1", ConsentAt: monday}); err != nil {
			t.Fatal(err)
		}
		periods := map[string][2]time.Time{
			"2026-05": {time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)},
			"2026-07": {time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 31, 0, 0, 0, 0, time.UTC)},
			"2026-Q2": {time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)},
		}
		before := map[string]string{}
		for name, p := range periods {
			before[name] = jsonOf(t, b.report(k, p[0], p[1]))
		}
		stBefore, err := b.svc.Statement(e.ctx, e.admin, k.ID, periods["2026-05"][0])
		if err != nil {
			t.Fatal(err)
		}
		n, err := b.svc.CloseContracts(e.ctx)
		if err != nil || n != 1 {
			t.Fatalf("close: %d, %v; want 1 contract", n, err)
		}
		if n, _ := b.svc.CloseContracts(e.ctx); n != 0 {
			t.Fatalf("closed again: %d", n)
		}
		for _, p := range []string{"final", "2026-01", "2026-07", "2026-Q1", "2026-Q3", "statement-2026-05"} {
			if _, err := e.db.Snapshot(e.ctx, k.ID, p); err != nil {
				t.Errorf("snapshot %s: %v", p, err)
			}
		}
		// The year is not over at the exit: not frozen, and its report is
		// refused as open, as for a running contract.
		if _, err := e.db.Snapshot(e.ctx, k.ID, "2026"); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("snapshot of the open year: %v", err)
		}
		_, err = b.svc.BuyerReport(e.ctx, e.admin, k.ID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		wantField(t, err, "to")
		for q, want := range map[string]int64{
			`SELECT count(*) FROM credits WHERE contract_id = $1`:            0,
			`SELECT count(*) FROM carepoint_clients WHERE contract_id = $1`:  0,
			`SELECT count(*) FROM appointments WHERE contract_id = $1`:       0,
			`SELECT count(*) FROM contracts WHERE id = $1 AND closed_at > 0`: 1,
		} {
			if n, err := e.db.QueryInt(e.ctx, q, k.ID); err != nil || n != want {
				t.Errorf("%s: %d, %v; want %d", q, n, err, want)
			}
		}
		// The other contract is untouched; the clients keep their
		// accounts and appointments, without the contract's credit.
		if n, _ := e.db.QueryInt(e.ctx, `SELECT count(*) FROM appointments WHERE contract_id = $1`, open.ID); n != 10 {
			t.Errorf("open contract's appointments: %d", n)
		}
		if n, _ := e.db.QueryInt(e.ctx, `SELECT count(*) FROM appointments WHERE client_id = $1 AND credit_id = '' AND status = 'booked'`, string(client.UserID)); n != 1 {
			t.Errorf("client's appointments after the exit: %d", n)
		}
		if _, err := e.db.UserByID(e.ctx, client.UserID); err != nil {
			t.Errorf("client's account: %v", err)
		}
		for name, p := range periods {
			if got := jsonOf(t, b.report(k, p[0], p[1])); got != before[name] {
				t.Errorf("%s after the exit:\n%s\nbefore:\n%s", name, got, before[name])
			}
		}
		if st, err := b.svc.Statement(e.ctx, e.admin, k.ID, periods["2026-05"][0]); err != nil || st != stBefore {
			t.Errorf("statement after the exit: %+v, %v; before %+v", st, err, stBefore)
		}
		final, err := b.svc.FinalReport(e.ctx, e.admin, k.ID)
		if err != nil || final.Period != "final" || !final.From.Equal(k.StartTime()) || !final.To.Equal(k.GraceEnd()) || final.Goals != k.Goals {
			t.Fatalf("final report: %+v, %v", final, err)
		}
		// A period the contract never overlapped has no snapshot.
		_, err = b.svc.BuyerReport(e.ctx, e.admin, k.ID, time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = b.svc.Statement(e.ctx, e.admin, k.ID, time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC))
		wantCode(t, err, eyelevel.ENOTFOUND)

		// The late contract closes once its last sessions can no longer
		// change, freezing the months that are over and no others.
		if got, _ := e.db.Contract(e.ctx, late.ID); !got.ClosedAt.IsZero() {
			t.Fatal("closed before the correction window of its last sessions was over")
		}
		e.clock.Advance(time.Date(2026, 12, 3, 0, 15, 0, 0, time.UTC).Sub(e.clock.Now()) - time.Minute)
		if n, _ := b.svc.CloseContracts(e.ctx); n != 0 {
			t.Fatalf("closed a minute early: %d", n)
		}
		e.clock.Advance(time.Minute)
		if n, err := b.svc.CloseContracts(e.ctx); err != nil || n != 1 {
			t.Fatalf("close the late contract: %d, %v", n, err)
		}
		for p, want := range map[string]string{"final": "", "2026-11": "", "statement-2026-11": "", "2026-10": "",
			"2026-Q4": eyelevel.ENOTFOUND, "2026": eyelevel.ENOTFOUND} {
			if _, err := e.db.Snapshot(e.ctx, late.ID, p); eyelevel.ErrorCode(err) != want {
				t.Errorf("late contract's snapshot %s: %v, want %q", p, err, want)
			}
		}
		_, err = b.svc.BuyerReport(e.ctx, e.admin, late.ID, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		wantField(t, err, "to")
		if _, err := b.svc.FinalReport(e.ctx, e.admin, late.ID); err != nil {
			t.Errorf("late contract's final report: %v", err)
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Codes issued are counts of codes (never hidden); redemptions are people.
func TestBuyerReportCodes(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := newBuyer(e)
		k := b.contract(b.org("acme"), "2026-01-01", "2026-12-31", 0, 30)
		jul := time.Date(2026, 7, 3, 12, 0, 0, 0, time.UTC)
		for i := range 3 {
			if _, err := e.db.Exec(e.ctx, `INSERT INTO access_codes (code_hash, contract_id, shared, created_at) VALUES ($1, $2, 0, $3)`,
				fmt.Sprintf("hash%d", i), k.ID, jul.Unix()); err != nil {
				t.Fatal(err)
			}
		}
		for range 9 {
			if err := e.db.RecordCodeRedemption(e.ctx, k.ID, false, jul.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		july, julyEnd := month(time.July)
		r := b.report(k, july, julyEnd)
		if r.CodesIssued != 3 || !r.CodesRedeemed.Suppressed {
			t.Fatalf("3 codes, 9 redemptions: %d, %+v", r.CodesIssued, r.CodesRedeemed)
		}
		if err := e.db.RecordCodeRedemption(e.ctx, k.ID, true, jul.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		e.forgetSnapshots() // July is long over: its first report was final
		r = b.report(k, july, julyEnd)
		if r.CodesRedeemed.Suppressed || r.CodesRedeemed.Value != 10 {
			t.Fatalf("10 redemptions: %+v", r.CodesRedeemed)
		}
		if aug, augEnd := month(time.August); b.report(k, aug, augEnd).CodesIssued != 0 {
			t.Fatalf("July's codes counted in August")
		}
	})
}
