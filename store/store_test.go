package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// wantCode fails the test unless err carries code ("" means no error).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := eyelevel.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

func newUser(t *testing.T, db *store.DB, username string, role eyelevel.Role) eyelevel.User {
	t.Helper()
	return newUserCtx(context.Background(), t, db, username, role)
}

func newUserCtx(ctx context.Context, t *testing.T, db *store.DB, username string, role eyelevel.Role) eyelevel.User {
	t.Helper()
	u := eyelevel.User{
		ID: eyelevel.UserID(eyelevel.NewID()), Username: username, Role: role, PasswordHash: "hash",
		Language: "de", TimeZone: "Europe/Berlin", CreatedAt: t0,
	}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatalf("create user %q: %v", username, err)
	}
	return u
}

func newCounselor(t *testing.T, db *store.DB, name string, g eyelevel.Gender, langs ...eyelevel.LanguageSkill) eyelevel.Counselor {
	t.Helper()
	u := newUser(t, db, name, eyelevel.RoleCounselor)
	c := eyelevel.Counselor{ID: u.ID, Username: name, DisplayName: "Display " + name, Gender: g, Languages: langs, TimeZone: "UTC", Bio: "bio", Qualifications: "quali"}
	if err := db.CreateCounselor(context.Background(), c); err != nil {
		t.Fatalf("create counselor %q: %v", name, err)
	}
	return c
}

func TestMigrationsIdempotent(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			first := storetest.OpenAt(t, dsn, dir)
			u := newUser(t, first, "persists", eyelevel.RoleClient)
			second := storetest.OpenAt(t, dsn, dir) // migrations already applied: a no-op
			got, err := second.UserByID(context.Background(), u.ID)
			if err != nil || got.Username != "persists" {
				t.Fatalf("second handle: UserByID = %+v, %v", got, err)
			}
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			third := storetest.OpenAt(t, dsn, dir)
			if n, err := third.CountUsers(context.Background()); err != nil || n != 1 {
				t.Fatalf("after reopen: CountUsers = %d, %v; want 1", n, err)
			}
		})
	}
}

// Several handles opening one database at once each find it migrated (or
// migrate it exactly once between them). On PostgreSQL the database starts
// empty, as when several instances start together for the first time; SQLite
// serves one instance, so there the database already exists, as when the
// command line runs next to the server.
func TestMigrationsConcurrentOpen(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			if d == store.SQLite {
				storetest.OpenAt(t, dsn, dir).Close()
			}
			const n = 6
			var wg sync.WaitGroup
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					db, err := store.Open(context.Background(), dsn, dir)
					if err == nil {
						err = db.Close()
					}
					errs[i] = err
				})
			}
			close(start)
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			db := storetest.OpenAt(t, dsn, dir)
			newUser(t, db, "works", eyelevel.RoleClient)
		})
	}
}

func TestUsers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u := newUser(t, db, "Anna", eyelevel.RoleClient)

		got, err := db.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, u) {
			t.Errorf("UserByID = %+v, want %+v", got, u)
		}
		for _, name := range []string{"Anna", "anna", "ANNA", "Ａｎｎａ"} {
			got, err := db.UserByUsername(ctx, name)
			if err != nil || got.ID != u.ID {
				t.Errorf("UserByUsername(%q) = %v, %v; want %v", name, got.ID, err, u.ID)
			}
		}
		for _, name := range []string{"Anna", "anna", "ANNA", "Ａｎｎａ"} {
			dup := eyelevel.User{ID: eyelevel.UserID(eyelevel.NewID()), Username: name, Role: eyelevel.RoleClient, PasswordHash: "h", Language: "de", TimeZone: "UTC", CreatedAt: t0}
			wantCode(t, db.CreateUser(ctx, dup), eyelevel.ECONFLICT)
		}
		_, err = db.UserByID(ctx, "nobody")
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = db.UserByUsername(ctx, "nobody")
		wantCode(t, err, eyelevel.ENOTFOUND)
		if n, err := db.CountUsers(ctx); err != nil || n != 1 {
			t.Errorf("CountUsers = %d, %v; want 1", n, err)
		}
	})
}

func TestInTx(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		var id eyelevel.UserID
		err := db.InTx(ctx, func(ctx context.Context) error {
			// A nested InTx joins the outer transaction.
			return db.InTx(ctx, func(ctx context.Context) error {
				id = newUserCtx(ctx, t, db, "rolledback", eyelevel.RoleClient).ID
				if _, err := db.UserByID(ctx, id); err != nil {
					t.Errorf("read own write in transaction: %v", err)
				}
				return boom
			})
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		_, err = db.UserByID(ctx, id)
		wantCode(t, err, eyelevel.ENOTFOUND)
	})
}

func TestSessions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u := newUser(t, db, "sessionuser", eyelevel.RoleClient)
		s := store.Session{TokenHash: "h1", UserID: u.ID, Kind: "web", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.CreateSession(ctx, s), eyelevel.ECONFLICT)
		if err := db.CreateSession(ctx, store.Session{TokenHash: "h2", UserID: u.ID, Kind: "api", CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}

		got, err := db.SessionUser(ctx, "h1", "web", t0.Add(59*time.Minute))
		if err != nil || got.ID != u.ID || got.Role != eyelevel.RoleClient {
			t.Fatalf("SessionUser before expiry = %+v, %v", got, err)
		}
		_, err = db.SessionUser(ctx, "h1", "web", t0.Add(time.Hour)) // expires_at is exclusive
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = db.SessionUser(ctx, "unknown", "web", t0)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = db.SessionUser(ctx, "h2", "web", t0) // an API token is no browser session
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = db.SessionUser(ctx, "h1", "api", t0)
		wantCode(t, err, eyelevel.ENOTFOUND)

		if n, err := db.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("DeleteExpiredSessions = %d, %v; want 1", n, err)
		}
		_, err = db.SessionUser(ctx, "h1", "web", t0)
		wantCode(t, err, eyelevel.ENOTFOUND) // gone, not just expired
		if _, err := db.SessionUser(ctx, "h2", "api", t0.Add(2*time.Hour)); err != nil {
			t.Fatalf("unexpired session was swept: %v", err)
		}

		if err := db.DeleteSession(ctx, "h2"); err != nil {
			t.Fatal(err)
		}
		_, err = db.SessionUser(ctx, "h2", "api", t0)
		wantCode(t, err, eyelevel.ENOTFOUND)
		if err := db.DeleteSession(ctx, "h2"); err != nil {
			t.Errorf("deleting a missing session: %v", err)
		}
		if n, err := db.DeleteExpiredSessions(ctx, t0.Add(1000*time.Hour)); err != nil || n != 0 {
			t.Errorf("DeleteExpiredSessions on empty table = %d, %v", n, err)
		}

		// Logging out everywhere ends this user's sessions of both kinds, not others'.
		other := newUser(t, db, "sessionother", eyelevel.RoleClient)
		for i, sess := range []store.Session{
			{TokenHash: "e1", UserID: u.ID, Kind: "web"}, {TokenHash: "e2", UserID: u.ID, Kind: "api"}, {TokenHash: "e3", UserID: other.ID, Kind: "web"},
		} {
			sess.CreatedAt, sess.ExpiresAt = t0, t0.Add(time.Duration(i+1)*time.Hour)
			if err := db.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.DeleteUserSessions(ctx, u.ID); err != nil || n != 2 {
			t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
		}
		if _, err := db.SessionUser(ctx, "e3", "web", t0); err != nil {
			t.Errorf("another user's session was deleted: %v", err)
		}
	})
}
