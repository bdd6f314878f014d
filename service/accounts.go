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
	"eyelevel/store"
)

// RegisterInput is a new client's sign-up. Only username and password are
// required; the email is optional and used only for notifications.
type RegisterInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Language string `json:"language"`
	TimeZone string `json:"timezone"`
	Email    string `json:"email,omitempty"`
}

// Valid returns problems per field as translation keys.
func (in RegisterInput) Valid() map[string]string {
	p := problems{}
	p.check(validUsername(in.Username), "username", "account.err.username")
	p.check(validPassword(in.Password), "password", "account.err.password")
	p.check(IsUILanguage(in.Language), "language", "account.err.language")
	_, ok := LoadZone(in.TimeZone)
	p.check(ok, "timezone", "account.err.timezone")
	p.check(validEmail(in.Email), "email", "account.err.email")
	return p
}

const (
	registerPerIP    = 20 // sign-ups per IP and hour
	loginPerAccount  = 5  // failed logins per account and 15 minutes
	loginPerIP       = 30 // login attempts per IP and 15 minutes
	loginWindow      = 15 * time.Minute
	registerWindow   = time.Hour
	sessionKindWeb   = "web"
	sessionKindToken = "api"
)

// Register creates a client account. Errors: EINVALID, ECONFLICT (username
// taken), ETOOMANY (too many sign-ups from ip).
func (s *Service) Register(ctx context.Context, in RegisterInput, ip string) (eyelevel.User, error) {
	if err := problems(in.Valid()).err(); err != nil {
		return eyelevel.User{}, err
	}
	key := "register:" + ip
	if !s.limiter.allow(key, registerPerIP, registerWindow) {
		return eyelevel.User{}, tooMany()
	}
	s.limiter.add(key, registerWindow)
	u := eyelevel.User{
		ID: eyelevel.UserID(eyelevel.NewID()), Username: in.Username, Role: eyelevel.RoleClient,
		PasswordHash: HashPassword(in.Password, s.cfg.Password), Email: in.Email,
		Language: in.Language, TimeZone: in.TimeZone, CreatedAt: s.now().UTC(),
	}
	if err := s.db.CreateUser(ctx, u); err != nil {
		return eyelevel.User{}, err
	}
	s.log.Info("account registered", "user", u.ID, "role", u.Role)
	return u, nil
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
	p.check(validPassword(password), "password", "account.err.password")
	_, ok := LoadZone(timezone)
	p.check(ok, "timezone", "account.err.timezone")
	if err := p.err(); err != nil {
		return eyelevel.User{}, err
	}
	u := eyelevel.User{
		ID: eyelevel.UserID(eyelevel.NewID()), Username: username, Role: role,
		PasswordHash: HashPassword(password, s.cfg.Password), Language: "de", TimeZone: timezone, CreatedAt: s.now().UTC(),
	}
	if err := s.db.CreateUser(ctx, u); err != nil {
		return eyelevel.User{}, err
	}
	s.log.Info("account added from the command line", "user", u.ID, "role", u.Role)
	return u, nil
}

// Login checks credentials and starts a session of kind "web" (cookie) or
// "api" (bearer token). It returns the secret token, which is never stored.
// Errors: EUNAUTHORIZED (wrong username or password, same message for both),
// ETOOMANY (rate limit per account or per IP).
func (s *Service) Login(ctx context.Context, username, password, ip string, api bool) (token string, expires time.Time, u eyelevel.User, err error) {
	acctKey, ipKey := "login:"+store.UsernameKey(username), "loginip:"+ip
	if !s.limiter.allow(acctKey, loginPerAccount, loginWindow) || !s.limiter.allow(ipKey, loginPerIP, loginWindow) {
		return "", time.Time{}, u, tooMany()
	}
	s.limiter.add(ipKey, loginWindow)
	wrong := eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "login.err.credentials", "Wrong username or password.")
	if len(username) > 200 || len(password) > 1024 {
		return "", time.Time{}, u, wrong
	}
	u, err = s.db.UserByUsername(ctx, username)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		// Spend the same time as a real check so timing does not reveal
		// which usernames exist.
		CheckPassword(s.dummyHash(), password)
		s.limiter.add(acctKey, loginWindow)
		return "", time.Time{}, u, wrong
	} else if err != nil {
		return "", time.Time{}, u, err
	}
	if ok, err := CheckPassword(u.PasswordHash, password); err != nil {
		return "", time.Time{}, u, err
	} else if !ok {
		s.limiter.add(acctKey, loginWindow)
		return "", time.Time{}, eyelevel.User{}, wrong
	}
	s.limiter.reset(acctKey)
	kind, ttl := sessionKindWeb, s.cfg.WebSession
	if api {
		kind, ttl = sessionKindToken, s.cfg.TokenTTL
	}
	token = newToken()
	now := s.now().UTC()
	expires = now.Add(ttl).Truncate(time.Second)
	err = s.db.CreateSession(ctx, store.Session{TokenHash: hashToken(token), UserID: u.ID, Kind: kind, CreatedAt: now, ExpiresAt: expires})
	if err != nil {
		return "", time.Time{}, u, err
	}
	return token, expires, u, nil
}

// dummyHash is a hash with the configured costs, made once, that no
// password matches.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy = HashPassword(newToken(), s.cfg.Password) })
	return s.dummy
}

// Authenticate returns the actor a session token belongs to. Errors:
// EUNAUTHORIZED for unknown or expired tokens.
func (s *Service) Authenticate(ctx context.Context, token string) (eyelevel.Actor, error) {
	if token == "" || len(token) > 100 {
		return eyelevel.Actor{}, unauthorized()
	}
	u, err := s.db.SessionUser(ctx, hashToken(token), s.now())
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return eyelevel.Actor{}, unauthorized()
	} else if err != nil {
		return eyelevel.Actor{}, err
	}
	return eyelevel.Actor{UserID: u.ID, Role: u.Role, Language: u.Language, TimeZone: u.TimeZone}, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.db.DeleteSession(ctx, hashToken(token))
}

// Me returns the actor's own account. Errors: EUNAUTHORIZED.
func (s *Service) Me(ctx context.Context, a eyelevel.Actor) (eyelevel.User, error) {
	if a.Anonymous() {
		return eyelevel.User{}, unauthorized()
	}
	return s.db.UserByID(ctx, a.UserID)
}

// SweepSessions deletes expired sessions; serve runs it periodically.
func (s *Service) SweepSessions(ctx context.Context) (int64, error) {
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

func tooMany() error {
	return eyelevel.Errorf(eyelevel.ETOOMANY, "error.too_many", "Too many attempts. Please wait a few minutes and try again.")
}

func invalid(p map[string]string) error { return eyelevel.Invalid(p) }
