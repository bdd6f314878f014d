package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/vault"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// A second factor (issue 12): every staff account (every role but client)
// must enrol one before it can see or change anything; clients may enrol
// voluntarily. The factor is TOTP (RFC 6238, 30-second steps, 6 digits,
// SHA-1, what every authenticator app speaks) plus ten single-use
// recovery codes.
//
// The secret is sealed with the account's own data key (client_keys, the
// key reflections use), not with a key derived from the master key: key
// rotation re-wraps every data key, so the secrets survive a rotation, and
// deleting an account's data key makes its secret unreadable too.
//
// Replays: the last accepted time step is stored per account, and a code
// is accepted only for a strictly later step, by one conditional UPDATE
// (store.AcceptStep), so a code (the confirming one included) works once,
// even when two logins send it at the same moment.
const (
	totpPeriod        = 30
	totpSkew          = 1 // steps accepted either side of now
	recoveryCodeCount = 10
	tfaIssuer         = "eyelevel"
	// Guessing the 6-digit code: 5 wrong codes per account and 15 minutes.
	// Recovery codes (50 random bits) do not count, so an attacker who
	// knows the password and spends this budget cannot lock the owner out
	// of logging in with a recovery code.
	tfaPerAccount = 5
	tfaWindow     = 15 * time.Minute
)

// TOTPSetup is a started enrolment: the secret to type into an
// authenticator app, and the otpauth:// URL its QR code holds.
type TOTPSetup struct {
	Secret string
	URL    string
}

// SecondFactorState is what the settings and enrolment pages show.
type SecondFactorState struct {
	Enrolled  bool // a confirmed TOTP factor
	Started   bool // a secret was issued but not confirmed yet
	Required  bool // the account's role needs one
	CodesLeft int  // unused recovery codes
	Passkeys  int  // registered passkeys (passkey.go); one alone also enrols
}

// needsSecondFactor reports whether role must have a second factor.
func needsSecondFactor(r eyelevel.Role) bool { return r != eyelevel.RoleClient }

// SecondFactorRequired is the error a limited session gets for anything
// but the enrolment (the web layer answers it centrally).
func SecondFactorRequired() error {
	return eyelevel.Errorf(eyelevel.ESECONDFACTOR, "tfa.err.required", "Set up your second factor first.")
}

// A limited session may enrol the account's first factor, nothing more:
// once the account has one (a confirmed TOTP or a passkey), adding,
// replacing or removing factors needs a session started with one. Else a
// limited session opened with a stolen password before the owner enrolled
// could add the attacker's own factor afterwards. Every factor-changing
// call checks it inside its transaction (refuseLimitedEnrolled), and
// adding a factor ends every limited session of the account
// (endLimitedSessions), the enrolling one included: it has nothing left
// to do and the next login uses the factor.
func (s *Service) refuseLimitedEnrolled(ctx context.Context, a eyelevel.Actor) error {
	if !a.Limited {
		return nil
	}
	totp, err := s.db.HasSecondFactor(ctx, a.UserID)
	if err != nil {
		return err
	}
	n, err := s.db.CountPasskeys(ctx, a.UserID)
	if err != nil {
		return err
	}
	if totp || n > 0 {
		return eyelevel.Errorf(eyelevel.ESECONDFACTOR, "tfa.err.expired", "Please log in again.")
	}
	return nil
}

// endLimitedSessions ends user's sessions and API tokens started without
// a second factor, when the account has just got a factor.
func (s *Service) endLimitedSessions(ctx context.Context, user eyelevel.UserID) error {
	n, err := s.db.DeleteLimitedSessions(ctx, user)
	if err == nil && n > 0 {
		s.log.Info("limited sessions ended", "user", user, "count", n)
	}
	return err
}

func wrongCode() error {
	return eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "tfa.err.code", "The code is wrong or was already used.")
}

// sessionLimited reports whether the session of token, of u, is limited
// to enrolling a second factor: a staff session not started with one.
func (s *Service) sessionLimited(ctx context.Context, token string, u eyelevel.User) (bool, error) {
	if !needsSecondFactor(u.Role) {
		return false, nil
	}
	ok, err := s.db.SessionSecondFactor(ctx, hashToken(token))
	return !ok, err
}

// SecondFactor returns the actor's state. Errors: EUNAUTHORIZED.
func (s *Service) SecondFactor(ctx context.Context, a eyelevel.Actor) (SecondFactorState, error) {
	if a.Anonymous() {
		return SecondFactorState{}, unauthorized()
	}
	st := SecondFactorState{Required: needsSecondFactor(a.Role)}
	var err error
	if st.Passkeys, err = s.db.CountPasskeys(ctx, a.UserID); err != nil { // passkey hook
		return st, err
	}
	f, err := s.db.SecondFactorOf(ctx, a.UserID)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		err = nil
	} else if err != nil {
		return st, err
	} else {
		st.Enrolled, st.Started = !f.Confirmed.IsZero(), f.Confirmed.IsZero()
	}
	if st.Enrolled || st.Passkeys > 0 {
		st.CodesLeft, err = s.db.RecoveryCodesLeft(ctx, a.UserID)
	}
	return st, err
}

// BeginTOTP issues a new TOTP secret for the actor, replacing one not yet
// confirmed. A limited session may call it only while the account has no
// factor. Errors: EUNAUTHORIZED, ECONFLICT (a confirmed factor exists),
// ESECONDFACTOR (a limited session, and the account has a passkey),
// EUNAVAILABLE (no master key).
func (s *Service) BeginTOTP(ctx context.Context, a eyelevel.Actor) (TOTPSetup, error) {
	if a.Anonymous() || a.UserID == Operator.UserID {
		return TOTPSetup{}, unauthorized()
	}
	var out TOTPSetup
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		u, err := s.db.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		if err := s.refuseLimitedEnrolled(ctx, a); err != nil {
			return err
		}
		if ok, err := s.db.HasSecondFactor(ctx, u.ID); err != nil {
			return err
		} else if ok {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "tfa.err.enrolled", "A second factor is already set up.")
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: tfaIssuer, AccountName: u.Username, SecretSize: 20})
		if err != nil {
			return err
		}
		if err := s.storeSecret(ctx, u.ID, key.Secret()); err != nil {
			return err
		}
		out = TOTPSetup{Secret: key.Secret(), URL: key.URL()}
		return nil
	})
	return out, err
}

// PendingTOTP returns the actor's started, unconfirmed enrolment again,
// so the page can show its QR code until it is confirmed. Errors:
// EUNAUTHORIZED, ENOTFOUND (none started, or already confirmed).
func (s *Service) PendingTOTP(ctx context.Context, a eyelevel.Actor) (TOTPSetup, error) {
	if a.Anonymous() {
		return TOTPSetup{}, unauthorized()
	}
	f, err := s.db.SecondFactorOf(ctx, a.UserID)
	if err != nil {
		return TOTPSetup{}, err
	}
	if !f.Confirmed.IsZero() {
		return TOTPSetup{}, eyelevel.ErrNotFound()
	}
	secret, err := s.openSecret(ctx, a.UserID, f.Secret)
	if err != nil {
		return TOTPSetup{}, err
	}
	u, err := s.db.UserByID(ctx, a.UserID)
	if err != nil {
		return TOTPSetup{}, err
	}
	return totpSetup(u.Username, secret)
}

func totpSetup(account, secret string) (TOTPSetup, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return TOTPSetup{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: tfaIssuer, AccountName: account, Secret: raw})
	if err != nil {
		return TOTPSetup{}, err
	}
	return TOTPSetup{Secret: key.Secret(), URL: key.URL()}, nil
}

// storeSecret seals secret with user's data key and stores it unconfirmed.
func (s *Service) storeSecret(ctx context.Context, user eyelevel.UserID, secret string) error {
	key, err := s.dataKey(ctx, user, true)
	if err != nil {
		return err
	}
	sealed, err := vault.Seal(key, []byte(secret), totpContext(user))
	if err != nil {
		return err
	}
	return s.db.PutSecondFactor(ctx, store.SecondFactor{UserID: user, Secret: sealed, CreatedAt: s.now()})
}

// ConfirmTOTP confirms the actor's started enrolment with a current code
// and returns ten recovery codes, shown this once (only hashes are kept).
// Every limited session of the account ends, the calling one included:
// the next login uses the factor. Errors: EUNAUTHORIZED (also a wrong or
// used code), ENOTFOUND (no enrolment started), ECONFLICT (already
// confirmed), ESECONDFACTOR (a limited session of an account that has a
// factor already), ETOOMANY.
func (s *Service) ConfirmTOTP(ctx context.Context, a eyelevel.Actor, code string) ([]string, error) {
	if a.Anonymous() {
		return nil, unauthorized()
	}
	var codes []string
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.refuseLimitedEnrolled(ctx, a); err != nil {
			return err
		}
		f, err := s.db.SecondFactorOf(ctx, a.UserID)
		if err != nil {
			return err
		}
		if !f.Confirmed.IsZero() {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "tfa.err.enrolled", "A second factor is already set up.")
		}
		if err := s.checkTOTP(ctx, a.UserID, f.Secret, code); err != nil {
			return err
		}
		codes = newRecoveryCodes()
		hashes := make([]string, len(codes))
		for i, c := range codes {
			hashes[i] = recoveryHash(a.UserID, c)
		}
		if err := s.db.ConfirmSecondFactor(ctx, a.UserID, s.now(), hashes); err != nil {
			return err
		}
		return s.endLimitedSessions(ctx, a.UserID)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("second factor enrolled", "user", a.UserID)
	return codes, nil
}

// DisableSecondFactor removes a client's second factor, given a current
// code (TOTP or a recovery code). Staff cannot: theirs is required.
// Errors: EUNAUTHORIZED, EFORBIDDEN (staff), ENOTFOUND (none), ETOOMANY.
func (s *Service) DisableSecondFactor(ctx context.Context, a eyelevel.Actor, code string) error {
	if a.Anonymous() {
		return unauthorized()
	}
	if needsSecondFactor(a.Role) {
		return eyelevel.Errorf(eyelevel.EFORBIDDEN, "tfa.err.staff_required", "Staff accounts must keep their second factor.")
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		f, err := s.db.SecondFactorOf(ctx, a.UserID)
		if err != nil {
			return err
		}
		if f.Confirmed.IsZero() {
			_, err := s.db.DeleteSecondFactor(ctx, a.UserID) // a started enrolment needs no code
			return err
		}
		if err := s.checkCode(ctx, a.UserID, f.Secret, code); err != nil {
			return err
		}
		_, err = s.db.DeleteSecondFactor(ctx, a.UserID)
		return err
	})
}

// ResetSecondFactor removes the second factor and recovery codes of
// target and ends its sessions, so that the account enrols again at its
// next login; for a colleague who lost their phone. Admins only; logged.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not an admin, or a limited
// session), ENOTFOUND (no such account).
func (s *Service) ResetSecondFactor(ctx context.Context, a eyelevel.Actor, target eyelevel.UserID) error {
	if a.Anonymous() {
		return unauthorized()
	}
	if a.Role != eyelevel.RoleAdmin || a.Limited {
		return forbidden()
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.UserByID(ctx, target); err != nil {
			return err
		}
		if _, err := s.db.DeleteSecondFactor(ctx, target); err != nil {
			return err
		}
		if _, err := s.db.DeleteUserPasskeys(ctx, target); err != nil { // passkey hook
			return err
		}
		if _, err := s.db.DeleteUserSessions(ctx, target); err != nil {
			return err
		}
		return s.logAction(ctx, a, target, eyelevel.ActionSecondFactorReset)
	})
	if err == nil {
		s.log.Info("second factor reset", "user", target, "by", a.UserID)
	}
	return err
}

// SeedSecondFactor enrols user with a confirmed TOTP secret and no
// recovery codes; for serve --demo only (the operator's command line).
// Errors: EFORBIDDEN, EINVALID (not a base32 secret).
func (s *Service) SeedSecondFactor(ctx context.Context, a eyelevel.Actor, user eyelevel.UserID, secret string) error {
	if a != Operator {
		return forbidden()
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || secret == "" {
		return eyelevel.Invalid(map[string]string{"secret": "tfa.err.code"})
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.DeleteSecondFactor(ctx, user); err != nil {
			return err
		}
		if err := s.storeSecret(ctx, user, secret); err != nil {
			return err
		}
		return s.db.ConfirmSecondFactor(ctx, user, s.now(), nil)
	})
}

// checkCode accepts a current TOTP code or an unused recovery code of
// user (whose sealed TOTP secret is sealed). A recovery code is used up.
func (s *Service) checkCode(ctx context.Context, user eyelevel.UserID, sealed []byte, code string) error {
	c := normalizeCode(code)
	if len(c) == 6 && isDigits(c) {
		if len(sealed) == 0 { // passkey hook: a passkey but no TOTP
			return wrongCode()
		}
		return s.checkTOTP(ctx, user, sealed, c)
	}
	if len(c) != 10 {
		return wrongCode()
	}
	ok, err := s.db.UseRecoveryCode(ctx, user, recoveryHash(user, c))
	if err != nil {
		return err
	}
	if !ok {
		return wrongCode()
	}
	s.log.Info("recovery code used", "user", user)
	return nil
}

// checkTOTP accepts code if it is user's TOTP code for a step within the
// skew that is later than the last accepted one, and records that step.
// Wrong codes count against tfaPerAccount.
func (s *Service) checkTOTP(ctx context.Context, user eyelevel.UserID, sealed []byte, code string) error {
	code = normalizeCode(code)
	key := "tfa:" + string(user)
	if err := s.reserve(ctx, Limit{key, tfaPerAccount, tfaWindow}); err != nil {
		return err
	}
	secret, err := s.openSecret(ctx, user, sealed)
	if err != nil {
		s.refund(ctx, key)
		return err
	}
	step, ok := matchTOTP(secret, code, s.now())
	if !ok {
		return wrongCode()
	}
	accepted, err := s.db.AcceptStep(ctx, user, step)
	if err != nil {
		s.refund(ctx, key)
		return err
	}
	if !accepted {
		return wrongCode()
	}
	s.refund(ctx, key)
	return nil
}

func (s *Service) openSecret(ctx context.Context, user eyelevel.UserID, sealed []byte) (string, error) {
	key, err := s.dataKey(ctx, user, false)
	if err != nil {
		return "", err
	}
	b, err := vault.Open(key, sealed, totpContext(user))
	if err != nil {
		return "", s.keyUnavailable(err)
	}
	return string(b), nil
}

// matchTOTP returns the time step within the skew whose code is code.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 || !isDigits(code) {
		return 0, false
	}
	t := now.Unix() / totpPeriod
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for d := int64(totpSkew); d >= -totpSkew; d-- {
		want, err := hotp.GenerateCodeCustom(secret, uint64(t+d), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t + d, true
		}
	}
	return 0, false
}

func totpContext(user eyelevel.UserID) string { return "totp|" + string(user) }

// tfaCodeAlphabet has no 0/o, 1/l/i, so codes survive being read aloud
// or written down.
const tfaCodeAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCodes returns ten codes of ten characters (about 49 bits
// each), shown as "xxxxx-xxxxx".
func newRecoveryCodes() []string {
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		b := make([]byte, 10)
		for j := range b {
			b[j] = tfaCodeAlphabet[randIndex(len(tfaCodeAlphabet))]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
	}
	return codes
}

func randIndex(n int) int {
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < 256-256%n {
			return int(b[0]) % n
		}
	}
}

// recoveryHash binds a code to its account, so equal codes of two
// accounts do not share a hash.
func recoveryHash(user eyelevel.UserID, code string) string {
	sum := sha256.Sum256([]byte("recovery|" + string(user) + "|" + normalizeCode(code)))
	return hex.EncodeToString(sum[:])
}

// normalizeCode drops spaces and dashes and lowers the case, as people
// type codes in many ways.
func normalizeCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, code)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
