// Package service holds eyelevel's use cases: registering, logging in,
// counselor profiles and availability, matching and booking. Every read and
// write checks here who the actor is and what they may do; the web layer only
// translates HTTP to these calls.
package service

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/program"
	"eyelevel/questionnaire"
	"eyelevel/slots"
	"eyelevel/store"
	"eyelevel/vault"

	"github.com/stripe/stripe-go/v82"
)

// Config holds the operator's rules. The zero value of any field means its
// default; a negative MinLead means none.
type Config struct {
	Rules        slots.Rules   // session length and buffer
	CancelNotice time.Duration // how long before the start a client may still cancel (24 h)
	MinLead      time.Duration // how soon a session may start after booking (1 h)
	Horizon      time.Duration // how far ahead slots are offered (8 weeks)
	MaxOpen      int           // upcoming appointments a client may hold at once (10)
	// SessionsPerDay is how many sessions a client may have on one
	// calendar day in their zone (1); negative means no limit.
	SessionsPerDay int
	WebSession     time.Duration // browser session lifetime (12 h)
	TokenTTL       time.Duration // API token lifetime (30 days)
	// SharedSession is the lifetime of a browser session on a shared
	// computer, e.g. at a care point (30 min).
	SharedSession time.Duration
	Password      PasswordParams
	// HashMemory is how many bytes password hashing may use at once
	// (128 MiB); with 19 MiB per hash that is 6 logins hashing in parallel.
	HashMemory int64
	// HashWait is how long a login waits for a free hashing slot before
	// it is answered "busy" (5 s).
	HashWait time.Duration
	// SignupLimit is how many accounts one address may register per hour
	// (20); care points that sign up many people raise it.
	SignupLimit int
	// Limiter counts attempts of logins, sign-ups, codes, mails and
	// messages; nil counts in the database on PostgreSQL (shared by all
	// nodes) and in memory on SQLite (one node).
	Limiter Limiter
	// Demo allows the published demo password (serve --demo).
	Demo bool
	// SecondFactorOptional lets staff accounts without a second factor
	// log in fully. It is for the tests of other features only: no flag
	// or environment variable sets it, so serve always requires the
	// factor. An enrolled account still needs its code.
	SecondFactorOptional bool
	// DeviceKey signs device tokens; nil derives it from Keys, or picks
	// a random one (then tokens end with the process).
	DeviceKey []byte

	RoomOpenBefore time.Duration // the video room opens this long before the start (10 min)
	RoomCloseAfter time.Duration // and closes this long after the end (15 min)
	RoomRetention  time.Duration // join/leave metadata is deleted after this (90 days)
	// ICE mints the STUN/TURN servers and credentials for one room join;
	// nil offers none (browsers then connect only directly).
	ICE func(user eyelevel.UserID, expires time.Time) []eyelevel.ICEServer

	// The care program (see care.go). Nil Instruments and Program mean the
	// shipped ones; nil Keys means reflections cannot be stored or read.
	Instruments   *questionnaire.Set
	Program       *program.Program
	Keys          *vault.Keyring
	Hotlines      []Hotline     // crisis numbers; nil: the German ones
	FollowUpAfter time.Duration // follow-up questionnaires this long after the last session (90 days)
	// CareAccess is how long after their last session with a client a
	// counselor still sees the client's scores, alerts and shared steps (180 days).
	CareAccess time.Duration

	// Self-pay packages through Stripe Checkout (see purchases.go). An
	// empty StripeKey turns purchases off (503); an empty
	// StripeWebhookSecret refuses every webhook.
	StripeKey           string
	StripeWebhookSecret string
	StripeAPI           string        // the Stripe API's base URL; empty: Stripe's own (tests point it at stripe-mock)
	PackageExpiry       time.Duration // how long a bought package can be booked with (365 days)

	// Mail: the outbox, reminders, safety escalation (see mail.go); off
	// unless Mail.On.
	Mail MailConfig
	// Catalog words mails; nil loads the shipped one.
	Catalog *i18n.Catalog

	// Data protection (issue 12). Retention: client accounts without a
	// login or session for this long are deleted, warned 30 days ahead
	// (about 24 months). AuditRetention: access-log entries older than
	// this are deleted (about 2 years).
	Retention      time.Duration
	AuditRetention time.Duration

	// ConsentVersion is the version of the consent to the processing of
	// health data that the operator publishes (DATA/legal/consent-version,
	// default "1"; see consent.go). A client whose latest consent is of
	// another version is asked again before anything else. Empty: new
	// consents are recorded as "1" and nobody is asked again (tests);
	// serve always sets it.
	ConsentVersion string

	// Observer is told of bookings, cancellations and booking conflicts
	// (for the metrics); nil: nobody.
	Observer Observer
}

func (c Config) withDefaults() Config {
	if c.Rules.Length == 0 {
		c.Rules.Length = 50 * time.Minute
	}
	if c.Rules.Buffer == 0 {
		c.Rules.Buffer = 10 * time.Minute
	}
	if c.CancelNotice == 0 {
		c.CancelNotice = 24 * time.Hour
	}
	if c.MinLead == 0 {
		c.MinLead = time.Hour
	} else if c.MinLead < 0 {
		c.MinLead = 0
	}
	if c.Horizon == 0 {
		c.Horizon = 8 * 7 * 24 * time.Hour
	}
	if c.MaxOpen == 0 {
		c.MaxOpen = 10
	}
	if c.SessionsPerDay == 0 {
		c.SessionsPerDay = 1
	}
	if c.WebSession == 0 {
		c.WebSession = 12 * time.Hour
	}
	if c.SharedSession == 0 {
		c.SharedSession = 30 * time.Minute
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 30 * 24 * time.Hour
	}
	if c.RoomOpenBefore == 0 {
		c.RoomOpenBefore = 10 * time.Minute
	}
	if c.RoomCloseAfter == 0 {
		c.RoomCloseAfter = 15 * time.Minute
	}
	if c.RoomRetention == 0 {
		c.RoomRetention = 90 * 24 * time.Hour
	}
	c = c.careDefaults()
	if c.PackageExpiry == 0 {
		c.PackageExpiry = 365 * 24 * time.Hour
	}
	c.Mail = c.Mail.withDefaults()
	if c.Retention == 0 {
		c.Retention = 24 * (30*24*time.Hour + 12*time.Hour)
	}
	if c.AuditRetention == 0 {
		c.AuditRetention = 24 * (30*24*time.Hour + 12*time.Hour)
	}
	if c.Catalog == nil {
		cat, err := i18n.Load()
		if err != nil {
			panic("the embedded catalog does not load: " + err.Error())
		}
		c.Catalog = cat
	}
	if c.Password == (PasswordParams{}) {
		c.Password = DefaultPasswordParams
	}
	if c.HashMemory == 0 {
		c.HashMemory = 128 << 20
	}
	if c.HashWait == 0 {
		c.HashWait = 5 * time.Second
	}
	if c.SignupLimit == 0 {
		c.SignupLimit = 20
	}
	if c.DeviceKey == nil {
		if c.Keys != nil {
			c.DeviceKey = c.Keys.Derive(devicePurpose)
		} else {
			c.DeviceKey = make([]byte, 32)
			rand.Read(c.DeviceKey)
		}
	}
	return c
}

// Service implements the use cases on top of a store.
type Service struct {
	db      *store.DB
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	limiter Limiter
	gate    *hashGate
	// deviceKey signs device tokens (see login.go).
	deviceKey []byte
	// stripe calls Stripe's API; nil without a key (see purchases.go).
	stripe *stripe.Client

	dummyOnce sync.Once
	dummy     string

	// mailWake wakes the mail worker when a mail was queued (see mailer.go).
	mailWake chan struct{}
}

// New returns a Service. now may be nil for time.Now.
func New(db *store.DB, cfg Config, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	lim := cfg.Limiter
	if lim == nil {
		lim = defaultLimiter(db, cfg, now, log)
	}
	gate := newHashGate(cfg.HashMemory, int64(cfg.Password.Memory)*1024, cfg.HashWait)
	if cfg.Keys != nil {
		db.SetOutboxKey(cfg.Keys.Derive(outboxPurpose))
	}
	return &Service{db: db, cfg: cfg, now: now, log: log, limiter: lim, gate: gate, deviceKey: cfg.DeviceKey, stripe: newStripe(cfg),
		mailWake: make(chan struct{}, 1)}
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Now returns the service's current time, so pages agree with the rules.
func (s *Service) Now() time.Time { return s.now() }

// Ping reports whether the database answers (for the health check).
func (s *Service) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// CheckWrite reports whether the database accepts writes (see
// store.DB.CheckWrite); the health check calls it.
func (s *Service) CheckWrite(ctx context.Context) error { return s.db.CheckWrite(ctx) }

// WithClock returns a service on the same database and configuration whose
// clock is now; the demo uses it to leave a plausible past. It sends no
// mail: nobody is to be told today about sessions of the past.
func (s *Service) WithClock(now func() time.Time) *Service {
	cfg := s.cfg
	cfg.Mail.On = false
	return New(s.db, cfg, s.log, now)
}

func unauthorized() error {
	return eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "error.unauthorized", "Please log in.")
}

func forbidden() error {
	return eyelevel.Errorf(eyelevel.EFORBIDDEN, "error.forbidden", "You may not do this.")
}
