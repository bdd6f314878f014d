package service_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// The reflection's plaintext must appear nowhere in the SQLite files, and a
// server with another master key must answer with a clear error, not crash.
func TestReflectionsEncryptedAtRest(t *testing.T) {
	_, dir := storetest.Location(t, store.SQLite)
	db := storetest.OpenAt(t, "", dir)
	clk := &clock{t: monday}
	e := &env{t: t, ctx: context.Background(), db: db, svc: servicetest.NewService(t, db, clk.Now), clock: clk}
	e.admin = e.user(eyelevel.RoleAdmin, "admin")
	a := e.client("anna")
	const secret = "my brother-in-law Jamshid shouts at me every evening"
	saved, err := e.svc.SaveReflection(e.ctx, a, 3, service.ReflectionInput{Text: secret, Done: true})
	wantCode(t, err, "")
	if saved.Text != secret || !saved.Done {
		t.Fatalf("saved = %+v", saved)
	}
	got, err := e.svc.ProgramStep(e.ctx, a, 3)
	wantCode(t, err, "")
	if got.Text != secret || !got.Done || got.Shared {
		t.Fatalf("read back = %+v", got)
	}
	// Flush the WAL into the main file, then look at every file there is.
	if err := db.Checkpoint(e.ctx); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{secret, "Jamshid", "brother-in-law"} {
			if bytes.Contains(body, []byte(needle)) {
				t.Fatalf("%s contains %q in plaintext", filepath.Base(f), needle)
			}
		}
	}

	// The same database under another master key: a clear EUNAVAILABLE.
	lost := servicetest.NewServiceConfig(t, db, service.Config{Keys: servicetest.Keys(9)}, clk.Now)
	_, err = lost.ProgramStep(e.ctx, a, 3)
	wantKey(t, err, eyelevel.EUNAVAILABLE, "error.key_unavailable")
	_, err = lost.SaveReflection(e.ctx, a, 3, service.ReflectionInput{Text: "new"})
	wantKey(t, err, eyelevel.EUNAVAILABLE, "error.key_unavailable")
	// Steps without a reflection and the overview still work.
	if steps, err := lost.Program(e.ctx, a); err != nil || len(steps) != 7 || !steps[2].Done {
		t.Fatalf("overview without the key: %v %+v", err, steps)
	}
	// Nothing was overwritten: the right key still reads the text.
	if got, _ := e.svc.ProgramStep(e.ctx, a, 3); got.Text != secret {
		t.Fatalf("after the failed write: %q", got.Text)
	}
}

func TestReflectionInput(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		a := e.client("anna")
		_, err := e.svc.SaveReflection(e.ctx, a, 8, service.ReflectionInput{Text: "x"})
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.SaveReflection(e.ctx, a, 1, service.ReflectionInput{Text: string(bytes.Repeat([]byte("é"), service.MaxReflection+1))})
		wantField(t, err, "text")
		_, err = e.svc.SaveReflection(e.ctx, a, 1, service.ReflectionInput{Text: "bad \xff"})
		wantField(t, err, "text")
		// Sharing keeps its first date; unsharing hides it again.
		r1, _ := e.svc.SaveReflection(e.ctx, a, 2, service.ReflectionInput{Text: "one", Shared: true})
		e.clock.Advance(time.Hour)
		r2, _ := e.svc.SaveReflection(e.ctx, a, 2, service.ReflectionInput{Text: "two", Shared: true})
		if !r2.SharedAt.Equal(r1.SharedAt) {
			t.Fatalf("shared at moved from %v to %v", r1.SharedAt, r2.SharedAt)
		}
		r3, _ := e.svc.SaveReflection(e.ctx, a, 2, service.ReflectionInput{Text: "three"})
		if r3.Shared || !r3.SharedAt.IsZero() {
			t.Fatalf("unshared = %+v", r3)
		}
	})
}

func TestRatings(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		var clients []eyelevel.Actor
		var appts []eyelevel.Appointment
		for i := range 5 {
			c := e.client(fmt.Sprintf("client%d", i))
			clients = append(clients, c)
			appts = append(appts, e.book(c, x, at(1, 9+i, 0)))
		}
		a := clients[0]
		_, err := e.svc.Rate(e.ctx, a, appts[0].ID, service.RatingInput{Stars: 5})
		wantKey(t, err, eyelevel.ECONFLICT, "rating.err.not_yet")
		e.clock.Advance(2 * 24 * time.Hour)
		unrated, err := e.svc.UnratedSessions(e.ctx, a)
		wantCode(t, err, "")
		if len(unrated) != 1 || unrated[0].ID != appts[0].ID {
			t.Fatalf("unrated = %+v", unrated)
		}
		_, err = e.svc.Rate(e.ctx, a, appts[0].ID, service.RatingInput{Stars: 6})
		wantField(t, err, "stars")
		_, err = e.svc.Rate(e.ctx, a, appts[1].ID, service.RatingInput{Stars: 5})
		wantCode(t, err, eyelevel.ENOTFOUND)
		stars := []int{5, 4, 4, 3}
		for i, s := range stars {
			_, err := e.svc.Rate(e.ctx, clients[i], appts[i].ID, service.RatingInput{Stars: s, Comment: "thanks"})
			wantCode(t, err, "")
		}
		_, err = e.svc.Rate(e.ctx, a, appts[0].ID, service.RatingInput{Stars: 1})
		wantKey(t, err, eyelevel.ECONFLICT, "rating.err.done")
		if unrated, _ := e.svc.UnratedSessions(e.ctx, a); len(unrated) != 0 {
			t.Fatalf("asked again: %+v", unrated)
		}
		newYear := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		// Four clients, even once the quarter is over: too few to show.
		e.clock.Advance(newYear.Sub(e.clock.Now()))
		sum, err := e.svc.CounselorRatings(e.ctx, x, x.UserID)
		wantCode(t, err, "")
		if !sum.Suppressed || sum.Mean != 0 || sum.Comments != nil || sum.Count != 0 {
			t.Fatalf("4 ratings = %+v", sum)
		}
		e.clock.Advance(-30 * 24 * time.Hour)
		// A declined rating is no rating.
		_, err = e.svc.Rate(e.ctx, clients[4], appts[4].ID, service.RatingInput{Decline: true})
		wantCode(t, err, "")
		// Nor do several ratings of one client count as several raters.
		d := clients[0]
		for day := 3; day <= 4; day++ {
			late := e.book(d, x, at(day, 9, 0))
			e.clock.Advance(at(day, 12, 0).Sub(e.clock.Now()))
			_, err = e.svc.Rate(e.ctx, d, late.ID, service.RatingInput{Stars: 2})
			wantCode(t, err, "")
		}
		e.clock.Advance(newYear.Sub(e.clock.Now()))
		if sum, _ := e.svc.CounselorRatings(e.ctx, x, x.UserID); !sum.Suppressed {
			t.Fatalf("declined or repeated ratings counted: %+v", sum)
		}
		// A fifth client rates in the same quarter: shown once it is over.
		f := e.client("fifth")
		e.clock.Advance(at(14, 8, 0).Sub(e.clock.Now()))
		fa := e.book(f, x, at(15, 10, 0))
		e.clock.Advance(fa.End.Sub(e.clock.Now()))
		_, err = e.svc.Rate(e.ctx, f, fa.ID, service.RatingInput{Stars: 5, Comment: "good"})
		wantCode(t, err, "")
		if sum, _ := e.svc.CounselorRatings(e.ctx, x, x.UserID); !sum.Suppressed {
			t.Fatalf("shown before the quarter is over: %+v", sum)
		}
		e.clock.Advance(newYear.Sub(e.clock.Now()))
		sum, _ = e.svc.CounselorRatings(e.ctx, x, x.UserID)
		if sum.Suppressed || sum.Count != 7 || sum.Raters != 5 || sum.Mean != 3.6 || sum.Distribution != [6]int{0, 0, 2, 1, 2, 2} || len(sum.Comments) != 5 {
			t.Fatalf("5 clients' ratings = %+v", sum)
		}
		if adm, _ := e.svc.CounselorRatings(e.ctx, e.admin, x.UserID); adm.Mean != 3.6 || adm.Comments != nil {
			t.Fatalf("admin's view = %+v", adm)
		}
		all, err := e.svc.AllRatings(e.ctx, e.admin)
		if err != nil || len(all) != 1 || all[0].Mean != 3.6 || all[0].Comments != nil {
			t.Fatalf("all = %+v %v", all, err)
		}
	})
}

func TestExportOwnData(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		a, b := e.client("anna"), e.client("bert")
		e.book(a, x, at(1, 10, 0))
		_, err := e.svc.SubmitResponse(e.ctx, a, "gad7", answers(1, 2, 3, 0, 1, 2, 3))
		wantCode(t, err, "")
		_, err = e.svc.SaveReflection(e.ctx, a, 4, service.ReflectionInput{Text: "what matters to my mother", Shared: true})
		wantCode(t, err, "")
		_, err = e.svc.SaveReflection(e.ctx, b, 4, service.ReflectionInput{Text: "bert's own"})
		wantCode(t, err, "")
		xp, err := e.svc.Export(e.ctx, a)
		wantCode(t, err, "")
		if xp.Account.Username != "anna" || xp.Account.PasswordHash != "" || len(xp.Appointments) != 1 || len(xp.Responses) != 1 ||
			len(xp.Reflections) != 1 || xp.Reflections[0].Text != "what matters to my mother" || !xp.Reflections[0].Shared {
			t.Fatalf("export = %+v", xp)
		}
		if got := xp.Responses[0].Answers; len(got) != 7 || got[2] != 3 {
			t.Fatalf("answers = %v", got)
		}
		for _, who := range []eyelevel.Actor{x, e.admin} {
			_, err := e.svc.Export(e.ctx, who)
			wantCode(t, err, eyelevel.EFORBIDDEN)
		}
		_, err = e.svc.Export(e.ctx, eyelevel.Actor{})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		lost := servicetest.NewServiceConfig(t, e.db, service.Config{Keys: servicetest.Keys(7)}, e.clock.Now)
		_, err = lost.Export(e.ctx, a)
		wantCode(t, err, eyelevel.EUNAVAILABLE)
	})
}
