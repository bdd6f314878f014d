package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// Guessing limits. Only failed attempts count: a password check is reserved
// before hashing and refunded when it succeeds. Without a device token,
// failures count per address, per account and address, and per account; so
// an attacker at one address cannot lock the owner out at another, and all
// addresses together get at most loginPerAccountDay guesses a day. A browser
// that has logged in before (a device token) has its own small bucket
// instead, so an attacker without the password cannot keep the owner out.
// The trade-off: once the account-wide budget is spent, a new browser
// without a device token is refused until the day's window moves on.
const (
	loginPerIP          = 30  // failures per address and 15 minutes
	loginPerAccountIP   = 5   // failures per account and address and 15 minutes
	loginPerAccountDay  = 100 // failures per account and 24 hours, all addresses
	loginPerDevice      = 5   // failures per device token and 15 minutes
	loginPerDeviceDay   = 20  // failures per device token and 24 hours
	loginWindow         = 15 * time.Minute
	loginDay            = 24 * time.Hour
	deviceTTL           = 365 * 24 * time.Hour
	devicePurpose       = "device token"
	devicePrefix        = "d1"
	maxLoginUsername    = 200
	maxLoginPasswordLen = 1024
)

// Credentials are a login attempt. Device is the token a previous
// successful login on this browser or client returned, or "".
type Credentials struct {
	Username, Password, IP string
	API                    bool // a bearer token instead of a browser session
	Device                 string
	// Shared marks a browser login on a shared computer (a care point's):
	// the session is short (Config.SharedSession) and gets no device
	// token, so the browser keeps nothing of the account.
	Shared bool
	// OTP is the second factor's code (TOTP or a recovery code) for an
	// account that has one; see secondfactor_login.go.
	OTP string
}

// SignedIn is a started session. Token is the secret (never stored);
// Device is the device token to keep for later logins.
type SignedIn struct {
	Token   string
	Expires time.Time
	User    eyelevel.User
	Device  string
	Shared  bool // a shared computer's session: keep nothing after it
	// Limited: a staff session without a second factor, which reaches
	// only the enrolment (the API answers "second_factor":"enroll").
	Limited bool
	// Pending is set, with an ESECONDFACTOR error, when the password was
	// right and the second factor's code is still to come: the page
	// login keeps it for its second step (CompleteLogin).
	Pending string
}

// SignIn checks credentials and starts a session of kind SessionWeb or
// SessionAPI. Errors: EUNAUTHORIZED (wrong username or password, one message
// for both; a wrong second-factor code), ETOOMANY (a guessing limit),
// EUNAVAILABLE (busy hashing), ESECONDFACTOR (the account has a second
// factor and c.OTP is empty: SignedIn.Pending is set).
func (s *Service) SignIn(ctx context.Context, c Credentials) (SignedIn, error) {
	wrong := eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "login.err.credentials", "Wrong username or password.")
	if len(c.Username) > maxLoginUsername || len(c.Password) > maxLoginPasswordLen {
		return SignedIn{}, wrong
	}
	u, err := s.db.UserByUsername(ctx, c.Username)
	known := err == nil
	if err != nil && eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
		return SignedIn{}, err
	}
	device, trusted := "", false
	if known {
		device, trusted = s.verifyDevice(c.Device, u)
	}
	limits := s.loginLimits(store.UsernameKey(c.Username), c.IP, device, trusted)
	if err := s.reserve(ctx, limits...); err != nil {
		return SignedIn{}, err
	}
	keys := make([]string, len(limits))
	for i, l := range limits {
		keys[i] = l.Key
	}
	// Unknown users cost the same as known ones, so timing does not reveal
	// which usernames exist.
	hash := s.dummyHash()
	if known {
		hash = u.PasswordHash
	}
	var ok bool
	var checkErr error
	if err := s.gate.run(ctx, func() { ok, checkErr = CheckPassword(hash, c.Password) }); err != nil {
		s.refund(ctx, keys...)
		return SignedIn{}, err
	}
	if checkErr != nil {
		s.refund(ctx, keys...)
		return SignedIn{}, checkErr
	}
	if !ok || !known {
		return SignedIn{}, wrong
	}
	s.refund(ctx, keys...)
	return s.afterPassword(ctx, c, u, device)
}

// startSession starts a session of u for the login c; secondFactor marks
// it as started with the second factor (or by an account that needs none).
func (s *Service) startSession(ctx context.Context, c Credentials, u eyelevel.User, device string, secondFactor bool) (SignedIn, error) {
	kind, ttl := SessionWeb, s.cfg.WebSession
	shared := c.Shared && !c.API
	switch {
	case c.API:
		kind, ttl = SessionAPI, s.cfg.TokenTTL
	case shared:
		ttl = s.cfg.SharedSession
	}
	out := SignedIn{Token: newToken(), User: u, Shared: shared, Limited: !secondFactor && u.Role != eyelevel.RoleClient}
	if out.Limited && ttl > limitedTTL {
		ttl = limitedTTL // enough to enrol; a stolen password gets no lasting token
	}
	now := s.now().UTC()
	out.Expires = now.Add(ttl).Truncate(time.Second)
	err := s.db.CreateSessionFactor(ctx, store.Session{TokenHash: hashToken(out.Token), UserID: u.ID, Kind: kind, CreatedAt: now, ExpiresAt: out.Expires, Shared: shared}, secondFactor)
	if err != nil {
		return SignedIn{}, err
	}
	if !shared {
		out.Device = s.issueDevice(u, device)
	}
	return out, nil
}

func (s *Service) loginLimits(account, ip, device string, trusted bool) []Limit {
	if trusted {
		return []Limit{
			{"logindev:" + device, loginPerDevice, loginWindow},
			{"logindevday:" + device, loginPerDeviceDay, loginDay},
		}
	}
	return []Limit{
		{"loginip:" + ip, loginPerIP, loginWindow},
		{"loginacctip:" + account + "\x00" + ip, loginPerAccountIP, loginWindow},
		{"loginacct:" + account, loginPerAccountDay, loginDay},
	}
}

// dummyHash is a hash with the configured costs, made once, that no
// password matches.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy = HashPassword(newToken(), s.cfg.Password) })
	return s.dummy
}

// issueDevice returns a device token for user: "d1.<id>.<expiry>.<mac>",
// signed with the server's key and bound to the user and their password
// hash, so a new password (a reset) ends every device token. id keeps the
// device's identity (and so its bucket) across renewals; "" makes a new one.
func (s *Service) issueDevice(user eyelevel.User, id string) string {
	if id == "" {
		b := make([]byte, 16)
		rand.Read(b)
		id = base64.RawURLEncoding.EncodeToString(b)
	}
	exp := strconv.FormatInt(s.now().Add(deviceTTL).Unix(), 10)
	body := devicePrefix + "." + id + "." + exp
	return body + "." + s.deviceMAC(user, body)
}

// verifyDevice returns the device id of token if it is unexpired and was
// issued to user under their current password.
func (s *Service) verifyDevice(token string, user eyelevel.User) (string, bool) {
	if token == "" || len(token) > 200 {
		return "", false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != devicePrefix {
		return "", false
	}
	body := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(s.deviceMAC(user, body))) {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || s.now().Unix() >= exp {
		return "", false
	}
	return parts[1], true
}

func (s *Service) deviceMAC(user eyelevel.User, body string) string {
	m := hmac.New(sha256.New, s.deviceKey)
	m.Write([]byte(string(user.ID) + "\x00" + user.PasswordHash + "\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SessionShared reports whether the browser session of token was started
// on a shared computer, so that logging out can clear the browser.
// An unknown or expired session is not shared.
func (s *Service) SessionShared(ctx context.Context, token string) (bool, error) {
	shared, err := s.db.SessionShared(ctx, hashToken(token), s.now())
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return false, nil
	}
	return shared, err
}
