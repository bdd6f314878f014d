package service_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// monday is the fake "now" of every test: Monday, 30 November 2026, 08:00 UTC.
// (1 December 2026 is a Tuesday.) With the default one-hour lead the first
// bookable start is 09:00 the same day.
var monday = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// at returns the time day days after monday's date at hh:mm UTC.
func at(day, hh, mm int) time.Time {
	return time.Date(2026, 11, 30+day, hh, mm, 0, 0, time.UTC)
}

// clock is a fake clock that tests move forward by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test's world: a fresh database, a service on a fake clock, and an admin.
type env struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	svc   *service.Service
	clock *clock
	admin eyelevel.Actor
	n     int // for unique IPs
}

// forEach runs fn on every dialect with a fresh env.
func forEach(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	if monday.Weekday() != time.Monday {
		t.Fatalf("monday is a %v", monday.Weekday())
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		clk := &clock{t: monday}
		e := &env{t: t, ctx: context.Background(), db: db, svc: servicetest.NewService(t, db, clk.Now), clock: clk}
		e.admin = e.user(eyelevel.RoleAdmin, "admin")
		fn(t, e)
	})
}

const password = "correct horse battery"

func actorOf(u eyelevel.User) eyelevel.Actor {
	return eyelevel.Actor{UserID: u.ID, Role: u.Role, Language: u.Language, TimeZone: u.TimeZone}
}

// user creates an account of role with the shared test password.
func (e *env) user(role eyelevel.Role, username string) eyelevel.Actor {
	e.t.Helper()
	u, err := e.svc.AddUser(e.ctx, role, username, password, "Europe/Berlin")
	if err != nil {
		e.t.Fatalf("add %s %q: %v", role, username, err)
	}
	return actorOf(u)
}

func (e *env) client(username string) eyelevel.Actor {
	e.t.Helper()
	return e.user(eyelevel.RoleClient, username)
}

// ip returns an address no other call has returned in this test.
func (e *env) ip() string {
	e.n++
	return fmt.Sprintf("10.0.%d.%d", e.n/256, e.n%256)
}

// counselor creates a counselor in UTC speaking langs ("de" or "de*" for
// native) who is available on the given weekly windows.
func (e *env) counselor(username string, g eyelevel.Gender, langs []string, weekly ...eyelevel.WeeklyWindow) eyelevel.Actor {
	e.t.Helper()
	in := service.CounselorInput{Username: username, Password: password, DisplayName: "Counselor " + username, Gender: g, TimeZone: "UTC"}
	for _, l := range langs {
		native := l[len(l)-1] == '*'
		if native {
			l = l[:len(l)-1]
		}
		in.Languages = append(in.Languages, eyelevel.LanguageSkill{Code: l, Native: native})
	}
	c, err := e.svc.CreateCounselor(e.ctx, e.admin, in)
	if err != nil {
		e.t.Fatalf("create counselor %q: %v", username, err)
	}
	if len(weekly) > 0 {
		if err := e.svc.SetAvailability(e.ctx, e.admin, c.ID, eyelevel.Availability{Weekly: weekly}); err != nil {
			e.t.Fatalf("set availability of %q: %v", username, err)
		}
	}
	return eyelevel.Actor{UserID: c.ID, Role: eyelevel.RoleCounselor, Language: "de", TimeZone: "UTC"}
}

// weekdays returns windows from..to (minutes) on Monday to Friday.
func weekdays(from, to int) []eyelevel.WeeklyWindow {
	var ws []eyelevel.WeeklyWindow
	for d := time.Monday; d <= time.Friday; d++ {
		ws = append(ws, eyelevel.WeeklyWindow{Weekday: d, Start: from, End: to})
	}
	return ws
}

// officeHours are 09:00–17:00 on weekdays: slots on the hour from 09 to 16.
var officeHours = weekdays(9*60, 17*60)

func (e *env) book(client, counselor eyelevel.Actor, start time.Time) eyelevel.Appointment {
	e.t.Helper()
	a, err := e.svc.Book(e.ctx, client, service.BookInput{CounselorID: counselor.UserID, Start: start})
	if err != nil {
		e.t.Fatalf("book %v: %v", start, err)
	}
	return a
}

// slots returns the counselor's free slot starts in [from, to).
func (e *env) slots(counselor eyelevel.Actor, from, to time.Time) []time.Time {
	e.t.Helper()
	ss, err := e.svc.Slots(e.ctx, eyelevel.Actor{}, service.SlotsInput{CounselorID: counselor.UserID, From: from, To: to})
	if err != nil {
		e.t.Fatalf("slots: %v", err)
	}
	out := make([]time.Time, len(ss))
	for i, s := range ss {
		out[i] = s.Start
	}
	return out
}

// wantCode fails the test unless err carries code ("" means no error).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := eyelevel.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

// wantKey fails the test unless err is an eyelevel error with code and key.
func wantKey(t *testing.T, err error, code, key string) {
	t.Helper()
	var e *eyelevel.Error
	if !errors.As(err, &e) || e.Code != code || e.Key != key {
		t.Fatalf("error = %v, want code %q with key %q", err, code, key)
	}
}

// wantField fails the test unless err is EINVALID and names field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var e *eyelevel.Error
	if !errors.As(err, &e) || e.Code != eyelevel.EINVALID {
		t.Fatalf("error = %v, want %q", err, eyelevel.EINVALID)
	}
	if _, ok := e.Fields[field]; !ok {
		t.Fatalf("invalid fields = %v, want %q among them", e.Fields, field)
	}
}
