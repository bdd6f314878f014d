// Package servicetest builds services for tests: on a test database, with a
// clock the test controls, and with password hashing cheap enough that a test
// can create hundreds of accounts.
package servicetest

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"eyelevel/service"
	"eyelevel/store"
	"eyelevel/vault"
)

// Keys returns a master keyring for tests; different seeds give different keys.
func Keys(seed byte) *vault.Keyring {
	k, err := vault.New(bytes.Repeat([]byte{seed}, vault.KeySize))
	if err != nil {
		panic(err)
	}
	return k
}

// CheapPasswords are Argon2id costs for tests only: 64 KiB and one pass
// hash in microseconds instead of tens of milliseconds.
var CheapPasswords = service.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// NewService returns a service on db with default rules, cheap password
// hashing and the clock now (nil means time.Now). Its log goes to the test's
// output, which is shown for failed tests and with -v.
func NewService(tb testing.TB, db *store.DB, now func() time.Time) *service.Service {
	tb.Helper()
	return NewServiceConfig(tb, db, service.Config{}, now)
}

// NewServiceConfig is NewService with cfg; a zero cfg.Password becomes
// CheapPasswords, a zero cfg.SessionsPerDay no limit (most tests book a
// client several sessions a day; tests of that rule set it), and other
// zero fields take the service's defaults. Staff without a second factor
// log in fully (Config.SecondFactorOptional).
func NewServiceConfig(tb testing.TB, db *store.DB, cfg service.Config, now func() time.Time) *service.Service {
	tb.Helper()
	if cfg.Password == (service.PasswordParams{}) {
		cfg.Password = CheapPasswords
	}
	if cfg.Keys == nil {
		cfg.Keys = Keys(1)
	}
	if cfg.SessionsPerDay == 0 {
		cfg.SessionsPerDay = -1
	}
	// Tests of other features log staff in with a password only; the
	// second factor's own tests build their service with service.New.
	cfg.SecondFactorOptional = true
	log := slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	return service.New(db, cfg, log, now)
}
