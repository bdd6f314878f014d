package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"eyelevel"
)

// The login with a second factor. The API sends the code with the
// password (Credentials.OTP). A page login is two steps: the password
// gives a pending login (SignedIn.Pending, a signed token the page keeps
// in a cookie for pendingTTL, naming the account, bound to its password
// hash; the password is not sent again), and the second step completes it
// with a code (CompleteLogin). A passkey completes it the same way: verify
// the assertion for PendingUser's account, then call completeSecondFactor.
const (
	// limitedTTL caps a limited session (a staff session without a
	// factor, for the enrolment only), web or API.
	limitedTTL    = time.Hour
	pendingTTL    = 5 * time.Minute
	pendingPrefix = "p1"
)

// pendingLogin is a login whose password was right and whose second
// factor is still to come.
type pendingLogin struct {
	User    eyelevel.UserID
	API     bool   // the session will be an API token
	Shared  bool   // a shared computer's browser session
	Device  string // the browser's device id, kept for the new device token
	Expires time.Time
}

// SecondStep is the second step of a page login.
type SecondStep struct {
	Pending string // SignedIn.Pending of the first step
	Code    string // a TOTP code or a recovery code
}

// afterPassword decides what a login whose password was right gets: a
// full session, a limited one (staff without a factor), or, for an
// account with a factor, a session only with a right code.
func (s *Service) afterPassword(ctx context.Context, c Credentials, u eyelevel.User, device string) (SignedIn, error) {
	f, err := s.db.SecondFactorOf(ctx, u.ID)
	if err != nil && eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
		return SignedIn{}, err
	}
	if err != nil || f.Confirmed.IsZero() {
		// Passkey hook (passkey.go): a passkey is a factor too; then the
		// code can only be a recovery code.
		if pk, perr := s.hasPasskey(ctx, u.ID); perr != nil {
			return SignedIn{}, perr
		} else if !pk {
			full := !needsSecondFactor(u.Role) || s.cfg.SecondFactorOptional
			return s.startSession(ctx, c, u, device, full)
		}
		f.Secret = nil
	}
	p := pendingLogin{User: u.ID, API: c.API, Shared: c.Shared && !c.API, Device: device, Expires: s.now().Add(pendingTTL)}
	if strings.TrimSpace(c.OTP) == "" {
		out := SignedIn{User: u}
		if !c.API {
			out.Pending = s.signPending(p, u)
		}
		return out, eyelevel.Errorf(eyelevel.ESECONDFACTOR, "tfa.err.code_needed", "Enter the code from your authenticator app.")
	}
	if err := s.checkCode(ctx, u.ID, f.Secret, c.OTP); err != nil {
		return SignedIn{}, err
	}
	return s.completeSecondFactor(ctx, p, u)
}

// CompleteLogin is the second step of a page login: a right code for the
// pending login's account starts its session. Errors: EUNAUTHORIZED (a
// wrong or used code; an expired pending login, then log in again),
// ETOOMANY (5 wrong TOTP codes in 15 minutes; recovery codes still work).
func (s *Service) CompleteLogin(ctx context.Context, in SecondStep) (SignedIn, error) {
	p, u, err := s.openPending(ctx, in.Pending)
	if err != nil {
		return SignedIn{}, err
	}
	f, err := s.db.SecondFactorOf(ctx, u.ID)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND || err == nil && f.Confirmed.IsZero() {
		// Passkey hook (passkey.go): with a passkey but no TOTP, a
		// recovery code still works.
		if pk, perr := s.hasPasskey(ctx, u.ID); perr != nil {
			return SignedIn{}, perr
		} else if !pk {
			return SignedIn{}, pendingExpired() // reset meanwhile: log in again
		}
		f.Secret, err = nil, nil
	} else if err != nil {
		return SignedIn{}, err
	}
	if err := s.checkCode(ctx, u.ID, f.Secret, in.Code); err != nil {
		return SignedIn{}, err
	}
	return s.completeSecondFactor(ctx, p, u)
}

// PendingUser returns the account of a pending login (for the second
// step's page, and for a passkey assertion to check against). Errors:
// EUNAUTHORIZED (unknown, altered or expired).
func (s *Service) PendingUser(ctx context.Context, pending string) (eyelevel.User, error) {
	_, u, err := s.openPending(ctx, pending)
	return u, err
}

// completeSecondFactor starts the full session of a pending login whose
// second factor was just verified (a TOTP or recovery code here; a
// passkey assertion later). Every path that completes a login calls it.
func (s *Service) completeSecondFactor(ctx context.Context, p pendingLogin, u eyelevel.User) (SignedIn, error) {
	if p.User != u.ID {
		return SignedIn{}, pendingExpired()
	}
	return s.startSession(ctx, Credentials{API: p.API, Shared: p.Shared}, u, p.Device, true)
}

func pendingExpired() error {
	return eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "tfa.err.expired", "Please log in again.")
}

// signPending returns "p1.<user>.<expiry>.<flags>.<device>.<mac>", signed
// with the device key and bound to the password hash, so a changed
// password ends it.
func (s *Service) signPending(p pendingLogin, u eyelevel.User) string {
	flags := "w"
	if p.API {
		flags = "a"
	} else if p.Shared {
		flags = "s"
	}
	device := p.Device
	if device == "" {
		device = "-"
	}
	body := strings.Join([]string{pendingPrefix, string(p.User), strconv.FormatInt(p.Expires.Unix(), 10), flags, device}, ".")
	return body + "." + s.pendingMAC(u, body)
}

func (s *Service) openPending(ctx context.Context, token string) (pendingLogin, eyelevel.User, error) {
	parts := strings.Split(token, ".")
	if len(token) > 300 || len(parts) != 6 || parts[0] != pendingPrefix {
		return pendingLogin{}, eyelevel.User{}, pendingExpired()
	}
	u, err := s.db.UserByID(ctx, eyelevel.UserID(parts[1]))
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return pendingLogin{}, u, pendingExpired()
	} else if err != nil {
		return pendingLogin{}, u, err
	}
	body := strings.Join(parts[:5], ".")
	if !hmac.Equal([]byte(parts[5]), []byte(s.pendingMAC(u, body))) {
		return pendingLogin{}, eyelevel.User{}, pendingExpired()
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || s.now().Unix() >= exp {
		return pendingLogin{}, eyelevel.User{}, pendingExpired()
	}
	p := pendingLogin{User: u.ID, API: parts[3] == "a", Shared: parts[3] == "s", Device: parts[4], Expires: time.Unix(exp, 0)}
	if p.Device == "-" {
		p.Device = ""
	}
	return p, u, nil
}

func (s *Service) pendingMAC(u eyelevel.User, body string) string {
	m := hmac.New(sha256.New, s.deviceKey)
	m.Write([]byte("pending login\x00" + string(u.ID) + "\x00" + u.PasswordHash + "\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
