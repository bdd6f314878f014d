package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// Recovery codes and password resets.
//
// A recovery code is 20 characters from a 32-letter alphabet without 0, 1,
// I and O (100 random bits), shown once, in groups of five. It is stored as
// HMAC-SHA256 under a key derived from the master key, not with Argon2: slow
// hashing protects guessable passwords, but 2^100 candidates are out of any
// offline attacker's reach even with the key, and without the key (a copy
// of the database alone) the hashes say nothing at all. So a code costs no
// hashing memory at sign-up, and checking it is a single HMAC.
const (
	recoveryAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	recoveryLen      = 20
	recoveryGroup    = 5
	recoveryPurpose  = "recovery code"

	resetTTL         = time.Hour
	verifyTTL        = 48 * time.Hour
	resetPerIP       = 10 // reset requests per address and 15 minutes (then 429)
	resetPerTarget   = 3  // reset mails per username and per address and hour (then silently none)
	recoverPerIP     = 10 // wrong recovery codes per address and 15 minutes
	recoverPerAcct   = 5  // wrong recovery codes per account and hour, all addresses
	resetTokenPerIP  = 30 // reset-link submissions per address and 15 minutes
	maxResetsByEmail = 5  // accounts one address can reset at once
)

// newRecoveryCode returns a fresh code, formatted "ABCDE-FGHJK-…".
func newRecoveryCode() string {
	b := make([]byte, recoveryLen)
	rand.Read(b)
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%recoveryGroup == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)]) // 256 is a multiple of 32: no bias
	}
	return out.String()
}

// normalRecoveryCode drops spaces and dashes and upper-cases, so a code
// typed from paper in any grouping matches.
func normalRecoveryCode(code string) string {
	code = strings.ToUpper(code)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
}

// recoveryKey is the HMAC key of recovery codes. Without a keyring (tests,
// a server without reflections) it is a fixed key; the codes' entropy
// still defeats offline guessing.
func (s *Service) recoveryKey() []byte {
	if s.cfg.Keys != nil {
		return s.cfg.Keys.Derive(recoveryPurpose)
	}
	k := sha256.Sum256([]byte("eyelevel " + recoveryPurpose))
	return k[:]
}

func (s *Service) recoveryHash(code string) string {
	m := hmac.New(sha256.New, s.recoveryKey())
	m.Write([]byte(normalRecoveryCode(code)))
	return hex.EncodeToString(m.Sum(nil))
}

// setNewRecoveryCode gives user a new recovery code, in the transaction
// ctx carries, and returns it; the old one stops working.
func (s *Service) setNewRecoveryCode(ctx context.Context, user eyelevel.UserID) (string, error) {
	code := newRecoveryCode()
	return code, s.db.SetRecoveryHash(ctx, user, s.recoveryHash(code))
}

// ResetRequest asks for a password-reset link: by username or by email.
type ResetRequest struct {
	Username string `json:"username,omitempty"`
	Email    string `json:"email,omitempty"`
}

// RequestPasswordReset mails a reset link (valid an hour, single use) to
// the verified address of the account named, or to every account (up to
// five) with the verified address given. The caller learns nothing: it
// answers the same whether or not the account or address exists, and does
// the same work (one token row, a decoy when nothing is mailed). Per
// address of the caller it is rate-limited (ETOOMANY, whatever was asked);
// per username and per recipient address (however it was named), mails
// beyond three an hour are silently dropped, so nobody can flood an
// inbox — and logging in is never limited by it.
// Errors: EINVALID (neither or both given, malformed), ETOOMANY.
func (s *Service) RequestPasswordReset(ctx context.Context, in ResetRequest, ip string) error {
	in.Username, in.Email = strings.TrimSpace(in.Username), strings.TrimSpace(in.Email)
	p := problems{}
	p.check((in.Username == "") != (in.Email == ""), "username", "reset.err.one")
	p.check(len(in.Username) <= maxLoginUsername, "username", "account.err.username")
	p.check(validEmail(in.Email), "email", "account.err.email")
	if err := p.err(); err != nil {
		return err
	}
	if err := s.reserve(ctx, Limit{"resetip:" + ip, resetPerIP, loginWindow}); err != nil {
		return err
	}
	limits := []Limit{{"resetname:" + store.UsernameKey(in.Username), resetPerTarget, time.Hour}}
	var users []eyelevel.User
	if in.Username != "" {
		u, err := s.db.UserByUsername(ctx, in.Username)
		if err != nil && eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			return err
		}
		if err == nil && u.HasEmail() && u.EmailVerified {
			users = append(users, u)
			// The address counts too, whichever of its accounts is named.
			if err := s.openEmail(ctx, &u); err != nil {
				return err
			}
			limits = append(limits, Limit{"resetmail:" + s.addrKey(u.Email), resetPerTarget, time.Hour})
		}
	} else {
		limits[0].Key = "resetmail:" + s.addrKey(in.Email)
		us, err := s.db.UsersByVerifiedEmail(ctx, s.emailHash(in.Email), maxResetsByEmail)
		if err != nil {
			return err
		}
		users = us
	}
	// Over a target's limit nothing is mailed, silently; a limiter that
	// cannot count refuses, whether the target exists or not.
	if ok, err := s.limiter.Reserve(ctx, limits...); err != nil {
		s.log.Error("rate limit unavailable, reset refused", "err", err)
		return busy()
	} else if !ok {
		users = nil
	}
	now := s.now().UTC()
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if len(users) == 0 {
			// The decoy: a token row nothing redeems, and the mail rendered
			// but not sent.
			if _, err := s.renderMail(resetMail("", newToken(), s.Link)); err != nil {
				return err
			}
			return s.db.CreateAccountToken(ctx, store.AccountToken{TokenHash: hashToken(newToken()), Purpose: store.TokenReset, CreatedAt: now, ExpiresAt: now.Add(resetTTL)})
		}
		for _, u := range users {
			tok := newToken()
			if err := s.db.CreateAccountToken(ctx, store.AccountToken{TokenHash: hashToken(tok), Purpose: store.TokenReset, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(resetTTL)}); err != nil {
				return err
			}
			if err := s.mailUser(ctx, u.ID, "", resetMail(u.Username, tok, s.Link)); err != nil {
				return err
			}
			s.log.Info("password reset mailed", "user", u.ID)
		}
		return nil
	})
}

// resetMail is the mail with a reset link for username.
func resetMail(username, token string, link func(string) string) Mail {
	return Mail{Kind: "reset", Subject: Line{Key: "account_mail.reset.subject"},
		Lines: []Line{
			{Key: "account_mail.reset.body", Args: []any{"username", username}},
			{Key: "account_mail.reset.ignore"},
		},
		Button: &Button{Label: Line{Key: "account_mail.reset.button"}, URL: link("/password-reset/" + token)}}
}

func badResetLink() error {
	return eyelevel.Errorf(eyelevel.EINVALID, "reset.err.link", "This link is no longer valid. Please ask for a new one.")
}

// CheckResetToken reports whether token is a live reset link (for the
// page that asks for the new password). Errors: EINVALID (used, expired
// or unknown).
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	_, err := s.resetToken(ctx, token)
	return err
}

func (s *Service) resetToken(ctx context.Context, token string) (store.AccountToken, error) {
	if token == "" || len(token) > 100 {
		return store.AccountToken{}, badResetLink()
	}
	t, err := s.db.AccountTokenOf(ctx, hashToken(token), store.TokenReset, s.now())
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return t, badResetLink()
	}
	return t, err
}

// Recovered is the outcome of a password reset: whose account, and its
// new recovery code (to be shown once).
type Recovered struct {
	UserID       eyelevel.UserID
	RecoveryCode string
}

// ResetPassword sets a new password with a reset link's token (once),
// ends all of the account's sessions and API tokens, and gives it a new
// recovery code, which it returns. Errors: EINVALID (the password policy;
// a used, expired or unknown link), ETOOMANY, EUNAVAILABLE.
func (s *Service) ResetPassword(ctx context.Context, token, password, ip string) (Recovered, error) {
	if err := s.reserve(ctx, Limit{"resettoken:" + ip, resetTokenPerIP, loginWindow}); err != nil {
		return Recovered{}, err
	}
	t, err := s.resetToken(ctx, token)
	if err != nil {
		return Recovered{}, err
	}
	u, err := s.db.UserByID(ctx, t.UserID)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return Recovered{}, badResetLink()
	} else if err != nil {
		return Recovered{}, err
	}
	p := problems{}
	checkPassword(p, password, u.Username, s.cfg.Demo)
	s.checkDemoPassword(p, password)
	if err := p.err(); err != nil {
		return Recovered{}, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return Recovered{}, err
	}
	var code string
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.ConsumeAccountToken(ctx, t.TokenHash); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			return badResetLink()
		} else if err != nil {
			return err
		}
		code, err = s.applyReset(ctx, u.ID, hash)
		return err
	})
	if err != nil {
		return Recovered{}, err
	}
	s.log.Info("password reset by mail link", "user", u.ID)
	return Recovered{u.ID, code}, nil
}

// applyReset is what every reset does, in one transaction: the new
// password, no other link (see revokeLinks), no session or API token, a
// new recovery code. Device tokens are bound to the password hash (see
// deviceMAC), so they stop working too.
func (s *Service) applyReset(ctx context.Context, user eyelevel.UserID, hash string) (string, error) {
	if err := s.db.SetPassword(ctx, user, hash); err != nil {
		return "", err
	}
	if err := s.revokeLinks(ctx, user); err != nil {
		return "", err
	}
	if _, err := s.db.DeleteUserSessions(ctx, user); err != nil {
		return "", err
	}
	return s.setNewRecoveryCode(ctx, user)
}

// revokeLinks ends every link a new password must end, since whoever held
// the account before may have made them: reset links, pending address
// verifications (and the unverified address itself) and the counselor's
// calendar feed URL. A verified address stays.
func (s *Service) revokeLinks(ctx context.Context, user eyelevel.UserID) error {
	for _, purpose := range []string{store.TokenReset, store.TokenVerify} {
		if err := s.db.DeleteAccountTokens(ctx, user, purpose); err != nil {
			return err
		}
	}
	u, err := s.db.UserByID(ctx, user)
	if err != nil {
		return err
	}
	if u.HasEmail() && !u.EmailVerified {
		if err := s.db.SetEmail(ctx, user, nil, "", false); err != nil {
			return err
		}
	}
	return s.db.DeleteCalendarFeed(ctx, user)
}

// addrKey is a recipient address as rate limits count it: its lookup
// hash, so that the limiter holds no address either.
func (s *Service) addrKey(addr string) string {
	if h := s.emailHash(addr); h != "" {
		return h
	}
	return strings.ToLower(addr)
}

// RecoverInput is a reset with the recovery code.
type RecoverInput struct {
	Username     string `json:"username"`
	RecoveryCode string `json:"recovery_code"`
	Password     string `json:"password"`
}

// RecoverWithCode sets a new password with the account's recovery code,
// ends all sessions and API tokens and returns a new recovery code. Known
// and unknown usernames, right and wrong codes cost the same: one HMAC and
// one password hash each. Wrong guesses are limited per address and per
// account, separately from logins, so guessing cannot lock the owner out
// of logging in. Errors: EINVALID (policy), EUNAUTHORIZED (wrong username
// or code, one message), ETOOMANY, EUNAVAILABLE.
func (s *Service) RecoverWithCode(ctx context.Context, in RecoverInput, ip string) (Recovered, error) {
	wrong := eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "recovery.err.wrong", "Wrong username or recovery code.")
	if len(in.Username) > maxLoginUsername || len(in.RecoveryCode) > 100 {
		return Recovered{}, wrong
	}
	p := problems{}
	checkPassword(p, in.Password, in.Username, s.cfg.Demo)
	s.checkDemoPassword(p, in.Password)
	if err := p.err(); err != nil {
		return Recovered{}, err
	}
	limits := []Limit{
		{"recoverip:" + ip, recoverPerIP, loginWindow},
		{"recoveracct:" + store.UsernameKey(in.Username), recoverPerAcct, time.Hour},
	}
	if err := s.reserve(ctx, limits...); err != nil {
		return Recovered{}, err
	}
	refund := func() { s.refund(ctx, limits[0].Key, limits[1].Key) }
	u, err := s.db.UserByUsername(ctx, in.Username)
	known := err == nil
	if err != nil && eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
		refund()
		return Recovered{}, err
	}
	stored := ""
	if known {
		if stored, err = s.db.RecoveryHash(ctx, u.ID); err != nil {
			refund()
			return Recovered{}, err
		}
	}
	got := s.recoveryHash(in.RecoveryCode)
	match := known && stored != "" && hmac.Equal([]byte(got), []byte(stored))
	// The new password is hashed whatever the outcome, so the answer
	// takes as long for a wrong code or an unknown name as for a right one.
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		refund()
		return Recovered{}, err
	}
	if !match {
		return Recovered{}, wrong
	}
	var code string
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		// The code is checked again inside the transaction, with the
		// account locked: two requests with one code cannot both succeed.
		if err := s.db.LockUser(ctx, u.ID); err != nil {
			return err
		}
		if cur, err := s.db.RecoveryHash(ctx, u.ID); err != nil {
			return err
		} else if !hmac.Equal([]byte(cur), []byte(stored)) {
			return wrong
		}
		code, err = s.applyReset(ctx, u.ID, hash)
		return err
	})
	if err != nil {
		return Recovered{}, err
	}
	refund()
	s.log.Info("password reset with the recovery code", "user", u.ID)
	return Recovered{u.ID, code}, nil
}
