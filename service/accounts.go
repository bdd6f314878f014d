package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"eyelevel"
)

// RegisterInput is a new client's sign-up. Only username and password are
// required; the email is optional and used only for notifications.
type RegisterInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Language string `json:"language"`
	TimeZone string `json:"timezone"`
	Email    string `json:"email,omitempty"`
	// Consent must be true: the client agrees to the processing of their
	// health data (GDPR Art. 9(2)(a)), recorded with the current version.
	Consent bool `json:"consent"`
}

// Valid returns problems per field as translation keys. The demo password
// is checked by the service, which knows whether demo mode is on.
func (in RegisterInput) Valid() map[string]string {
	p := problems{}
	p.check(validUsername(in.Username), "username", "account.err.username")
	checkPassword(p, in.Password, in.Username, true)
	p.check(IsUILanguage(in.Language), "language", "account.err.language")
	_, ok := LoadZone(in.TimeZone)
	p.check(ok, "timezone", "account.err.timezone")
	p.check(validEmail(in.Email), "email", "account.err.email")
	return p
}

// Session kinds: a browser cookie or an API bearer token. Each is accepted
// only where it was issued, so a 30-day API token is no browser cookie.
const (
	SessionWeb = "web"
	SessionAPI = "api"
)

// Register is SignUp for callers that need no recovery code; its errors
// are SignUp's.
func (s *Service) Register(ctx context.Context, in RegisterInput, ip string) (eyelevel.User, error) {
	a, err := s.SignUp(ctx, in, ip)
	return a.User, err
}

// SignUp creates a client account with a recovery code (returned once) and,
// when an email is given, mails it a verification link; the client's
// consent (in.Consent, required) is recorded. Errors: EINVALID,
// ECONFLICT (username taken), ETOOMANY (too many sign-ups from ip),
// EUNAVAILABLE (busy hashing).
func (s *Service) SignUp(ctx context.Context, in RegisterInput, ip string) (NewAccount, error) {
	p := problems(in.Valid())
	s.checkDemoPassword(p, in.Password)
	p.check(in.Consent, "consent", "consent.err.required")
	if err := p.err(); err != nil {
		return NewAccount{}, err
	}
	key := "register:" + ip
	if err := s.reserve(ctx, Limit{key, s.cfg.SignupLimit, time.Hour}); err != nil {
		return NewAccount{}, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		s.refund(ctx, key)
		return NewAccount{}, err
	}
	out := NewAccount{User: eyelevel.User{
		ID: eyelevel.UserID(eyelevel.NewID()), Username: in.Username, Role: eyelevel.RoleClient,
		PasswordHash: hash, Email: in.Email,
		Language: in.Language, TimeZone: in.TimeZone, CreatedAt: s.now().UTC(),
	}}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.createUser(ctx, out.User); err != nil {
			return err
		}
		if err := s.recordConsent(ctx, out.ID, ""); err != nil {
			return err
		}
		out.RecoveryCode, err = s.accountMailSetup(ctx, out.User)
		return err
	})
	if err != nil {
		return NewAccount{}, err
	}
	s.log.Info("account registered", "user", out.ID, "role", out.Role)
	return out, nil
}

// checkDemoPassword refuses the published demo password outside demo mode.
func (s *Service) checkDemoPassword(p problems, password string) {
	if _, taken := p["password"]; !taken && !s.cfg.Demo && passwordProblem(password, "", false) == "account.err.password_demo" {
		p["password"] = "account.err.password_demo"
	}
}

// hashPassword hashes through the gate that bounds hashing memory.
// Errors: EUNAVAILABLE when the server is busy.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	var hash string
	err := s.gate.run(ctx, func() { hash = HashPassword(password, s.cfg.Password) })
	return hash, err
}

// Operator is the actor of the command line, which only the operator of
// the server can run; it may do what an admin may.
var Operator = eyelevel.Actor{UserID: "operator", Role: eyelevel.RoleAdmin}

// AddUser creates an admin or client account without an actor; it is for
// the command line. Counselors are created with CreateCounselor, which
// needs a profile. Errors: EINVALID, ECONFLICT.
func (s *Service) AddUser(ctx context.Context, role eyelevel.Role, username, password, timezone string) (eyelevel.User, error) {
	p := problems{}
	p.check(role == eyelevel.RoleAdmin || role == eyelevel.RoleClient, "role", "account.err.role")
	p.check(validUsername(username), "username", "account.err.username")
	checkPassword(p, password, username, s.cfg.Demo)
	_, ok := LoadZone(timezone)
	p.check(ok, "timezone", "account.err.timezone")
	if err := p.err(); err != nil {
		return eyelevel.User{}, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return eyelevel.User{}, err
	}
	u := eyelevel.User{
		ID: eyelevel.UserID(eyelevel.NewID()), Username: username, Role: role,
		PasswordHash: hash, Language: "de", TimeZone: timezone, CreatedAt: s.now().UTC(),
	}
	if err := s.db.CreateUser(ctx, u); err != nil {
		return eyelevel.User{}, err
	}
	s.log.Info("account added from the command line", "user", u.ID, "role", u.Role)
	return u, nil
}

// Login is SignIn without a device token, for callers that need none;
// its errors are SignIn's.
func (s *Service) Login(ctx context.Context, username, password, ip string, api bool) (token string, expires time.Time, u eyelevel.User, err error) {
	in, err := s.SignIn(ctx, Credentials{Username: username, Password: password, IP: ip, API: api})
	return in.Token, in.Expires, in.User, err
}

// Authenticate returns the actor a session token of kind (SessionWeb or
// SessionAPI) belongs to. A staff session started without a second factor
// gives a Limited actor (see secondfactor.go). Errors: EUNAUTHORIZED for unknown or expired
// tokens and for tokens of the other kind; other errors are the database's.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (eyelevel.Actor, error) {
	if token == "" || len(token) > 100 {
		return eyelevel.Actor{}, unauthorized()
	}
	u, err := s.db.SessionUser(ctx, hashToken(token), kind, s.now())
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return eyelevel.Actor{}, unauthorized()
	} else if err != nil {
		return eyelevel.Actor{}, err
	}
	limited, err := s.sessionLimited(ctx, token, u)
	if err != nil {
		return eyelevel.Actor{}, err
	}
	s.noteActive(ctx, u) // for message mail (messages_notify.go)
	return eyelevel.Actor{UserID: u.ID, Role: u.Role, Language: u.Language, TimeZone: u.TimeZone, Limited: limited}, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.db.DeleteSession(ctx, hashToken(token))
}

// LogoutEverywhere ends every session and API token of the actor, for a
// lost phone or a shared computer. Device tokens stay valid: they only
// exempt a browser from the guessing limits and grant no access.
// Errors: EUNAUTHORIZED.
func (s *Service) LogoutEverywhere(ctx context.Context, a eyelevel.Actor) error {
	if a.Anonymous() {
		return unauthorized()
	}
	n, err := s.db.DeleteUserSessions(ctx, a.UserID)
	if err != nil {
		return err
	}
	s.log.Info("logged out everywhere", "user", a.UserID, "sessions", n)
	return nil
}

// Me returns the actor's own account. Errors: EUNAUTHORIZED.
func (s *Service) Me(ctx context.Context, a eyelevel.Actor) (eyelevel.User, error) {
	if a.Anonymous() {
		return eyelevel.User{}, unauthorized()
	}
	return s.db.UserByID(ctx, a.UserID)
}

// SweepSessions deletes expired sessions; serve runs it periodically.
// It also deletes expired reset and verification links.
func (s *Service) SweepSessions(ctx context.Context) (int64, error) {
	if _, err := s.sweepAccountTokens(ctx, s.now()); err != nil {
		return 0, err
	}
	return s.db.DeleteExpiredSessions(ctx, s.now())
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return hex.EncodeToString(sum[:])
}

// PasswordChecks returns how many password hashes the service has run;
// tests use it to count guesses.
func (s *Service) PasswordChecks() int64 { return s.gate.checks.Load() }

func tooMany() error {
	return eyelevel.Errorf(eyelevel.ETOOMANY, "error.too_many", "Too many attempts. Please wait a few minutes and try again.")
}

func invalid(p map[string]string) error { return eyelevel.Invalid(p) }
