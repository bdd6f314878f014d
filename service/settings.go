package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// Settings is what a user sees of their own account on the settings page.
type Settings struct {
	eyelevel.User
	// PendingEmail is a new address waiting for its verification link;
	// mail keeps going to Email (if verified) until it is opened.
	PendingEmail string
	HasRecovery  bool // the account has a recovery code
}

// Notifications returns the kinds the user receives (the complement of
// NotifyOff).
func (s Settings) Notifications() []string {
	on := []string{}
	for _, k := range eyelevel.Notifications {
		if !slices.Contains(s.NotifyOff, k) {
			on = append(on, k)
		}
	}
	return on
}

// AccountSettings returns the actor's settings. Errors: EUNAUTHORIZED.
func (s *Service) AccountSettings(ctx context.Context, a eyelevel.Actor) (Settings, error) {
	if a.Anonymous() {
		return Settings{}, unauthorized()
	}
	u, err := s.db.UserByID(ctx, a.UserID)
	if err != nil {
		return Settings{}, err
	}
	out := Settings{User: u}
	if err := s.openEmail(ctx, &out.User); err != nil {
		return Settings{}, err
	}
	if out.PendingEmail, err = s.pendingEmail(ctx, u.ID); err != nil {
		return Settings{}, err
	}
	h, err := s.db.RecoveryHash(ctx, u.ID)
	out.HasRecovery = h != ""
	return out, err
}

// SettingsInput changes settings; a nil field stays as it is.
// Notifications lists the kinds to receive (eyelevel.Notifications).
type SettingsInput struct {
	Email         *string   `json:"email,omitempty"`
	Language      *string   `json:"language,omitempty"`
	TimeZone      *string   `json:"timezone,omitempty"`
	Notifications *[]string `json:"notifications,omitempty"`
}

// valid returns problems per field. Counselors keep their time zone in
// their profile, where it also moves their weekly hours.
func (in SettingsInput) valid(role eyelevel.Role) problems {
	p := problems{}
	if in.Email != nil {
		p.check(validEmail(*in.Email), "email", "account.err.email")
	}
	if in.Language != nil {
		p.check(IsUILanguage(*in.Language), "language", "account.err.language")
	}
	if in.TimeZone != nil {
		_, ok := LoadZone(*in.TimeZone)
		p.check(ok, "timezone", "account.err.timezone")
		p.check(role != eyelevel.RoleCounselor, "timezone", "settings.err.timezone_profile")
	}
	if in.Notifications != nil {
		ok := len(*in.Notifications) <= len(eyelevel.Notifications)
		for _, k := range *in.Notifications {
			ok = ok && slices.Contains(eyelevel.Notifications, k)
		}
		p.check(ok, "notifications", "settings.err.notifications")
	}
	return p
}

// UpdateSettings changes the actor's email, language, time zone and
// notifications, all or nothing. A new email is not used until its owner
// opens the verification link mailed to it; until then a verified old
// address keeps receiving mail. An empty email removes the address at
// once. Errors: EUNAUTHORIZED, EINVALID, ETOOMANY (more than five new
// addresses an hour).
func (s *Service) UpdateSettings(ctx context.Context, a eyelevel.Actor, in SettingsInput) (Settings, error) {
	if a.Anonymous() {
		return Settings{}, unauthorized()
	}
	if err := in.valid(a.Role).err(); err != nil {
		return Settings{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		u, err := s.db.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		lang, zone, off := u.Language, u.TimeZone, u.NotifyOff
		if in.Language != nil {
			lang = *in.Language
		}
		if in.TimeZone != nil {
			zone = *in.TimeZone
		}
		if in.Notifications != nil {
			off = []string{}
			for _, k := range eyelevel.Notifications {
				if !slices.Contains(*in.Notifications, k) {
					off = append(off, k)
				}
			}
		}
		if err := s.db.SetPreferences(ctx, u.ID, lang, zone, off); err != nil {
			return err
		}
		if in.Email != nil {
			u.Language = lang // the verification mail speaks the new language
			return s.changeEmail(ctx, u, *in.Email)
		}
		return nil
	})
	if err != nil {
		return Settings{}, err
	}
	s.log.Info("settings changed", "user", a.UserID)
	return s.AccountSettings(ctx, a)
}

// changeEmail sets u's address to email, in the transaction ctx carries.
// The same address as now changes nothing (a pending one is dropped); a
// new one gets a verification link; a verified old address stays in use
// until the link is opened, an unverified one is replaced at once.
func (s *Service) changeEmail(ctx context.Context, u eyelevel.User, email string) error {
	if err := s.openEmail(ctx, &u); err != nil {
		return err
	}
	pending, err := s.pendingEmail(ctx, u.ID)
	if err != nil {
		return err
	}
	if email != "" && strings.EqualFold(email, pending) {
		return nil // its link is on its way already
	}
	if err := s.db.DeleteAccountTokens(ctx, u.ID, store.TokenVerify); err != nil {
		return err
	}
	switch {
	case email == "":
		return s.db.SetEmail(ctx, u.ID, nil, "", false)
	case strings.EqualFold(email, u.Email) && u.EmailVerified:
		return nil
	case !u.EmailVerified:
		if err := s.setEmail(ctx, u.ID, email, false); err != nil {
			return err
		}
	}
	return s.sendVerification(ctx, u, email)
}

// sendVerification queues a verification link for email (48 hours, single
// use) to that address, in the user's language.
func (s *Service) sendVerification(ctx context.Context, u eyelevel.User, email string) error {
	// Nobody may use an account to mail strangers: a few addresses an hour.
	if err := s.reserve(ctx, Limit{"verifymail:" + string(u.ID), verifyPerHour, time.Hour}); err != nil {
		return err
	}
	// Nor may several accounts together flood one address: beyond a few a
	// day to it, the mail is silently not sent (the answer is the same).
	if ok, err := s.limiter.Reserve(ctx, Limit{"verifyto:" + s.addrKey(email), verifyPerAddress, 24 * time.Hour}); err != nil {
		s.log.Error("rate limit unavailable, verification mail not sent", "err", err)
		return busy()
	} else if !ok {
		s.log.Info("verification mail over the address limit, not sent", "user", u.ID)
		return nil
	}
	tok, now := newToken(), s.now().UTC()
	sealed, _, err := s.sealEmail(ctx, u.ID, email)
	if err != nil {
		return err
	}
	err = s.db.CreateAccountToken(ctx, store.AccountToken{TokenHash: hashToken(tok), Purpose: store.TokenVerify, UserID: u.ID, EmailSealed: sealed, CreatedAt: now, ExpiresAt: now.Add(verifyTTL)})
	if err != nil {
		return err
	}
	return s.queueMail(ctx, Mail{Kind: "verify", To: email, Lang: u.Language, Subject: Line{Key: "account_mail.verify.subject"},
		Lines: []Line{
			{Key: "account_mail.verify.body", Args: []any{"username", u.Username}},
			{Key: "account_mail.verify.ignore"},
		},
		Button: &Button{Label: Line{Key: "account_mail.verify.button"}, URL: s.Link("/verify-email/" + tok)}})
}

// VerifyEmail opens a verification link: its address becomes the
// account's verified address. No login is needed; the link works once.
// Errors: EINVALID (used, expired or unknown link).
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	bad := eyelevel.Errorf(eyelevel.EINVALID, "verify.err.link", "This link is no longer valid. You can ask for a new one in your settings.")
	if token == "" || len(token) > 100 {
		return bad
	}
	var user eyelevel.UserID
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		t, err := s.db.AccountTokenOf(ctx, hashToken(token), store.TokenVerify, s.now())
		if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			return bad
		} else if err != nil {
			return err
		}
		if err := s.db.ConsumeAccountToken(ctx, t.TokenHash); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			return bad
		} else if err != nil {
			return err
		}
		user = t.UserID
		addr, err := s.openSealedEmail(ctx, t.UserID, t.Email, t.EmailSealed)
		if err != nil {
			return err
		}
		if err := s.setEmail(ctx, t.UserID, addr, true); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			return bad
		} else if err != nil {
			return err
		}
		return s.db.DeleteAccountTokens(ctx, t.UserID, store.TokenVerify)
	})
	if err != nil {
		return err
	}
	s.log.Info("email verified", "user", user)
	return nil
}

// verifyPerHour is how many verification mails one account may cause an
// hour.
const verifyPerHour = 5

// verifyPerAddress is how many verification mails one address may receive
// a day, from all accounts together.
const verifyPerAddress = 3

// PasswordChange is a password change in the settings.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// settingsPerAccount limits wrong current passwords in the settings, per
// account and 15 minutes; logging in has its own limits.
const settingsPerAccount = 10

// checkOwnPassword checks the actor's current password through the hash
// gate; wrong guesses are limited per account.
func (s *Service) checkOwnPassword(ctx context.Context, u eyelevel.User, password, field string) error {
	key := "settingspw:" + string(u.ID)
	if err := s.reserve(ctx, Limit{key, settingsPerAccount, loginWindow}); err != nil {
		return err
	}
	var ok bool
	var checkErr error
	if len(password) > maxLoginPasswordLen {
		password = ""
	}
	if err := s.gate.run(ctx, func() { ok, checkErr = CheckPassword(u.PasswordHash, password) }); err != nil {
		s.refund(ctx, key)
		return err
	}
	if checkErr != nil {
		return checkErr
	}
	if !ok {
		return invalid(map[string]string{field: "settings.err.current"})
	}
	s.refund(ctx, key)
	return nil
}

// ChangePassword replaces the actor's password after checking the current
// one, and ends every other session and API token (keepToken, the session
// making the change, stays) and every link (revokeLinks). Errors: EUNAUTHORIZED, EINVALID (wrong
// current password in field "current", policy in field "new"), ETOOMANY,
// EUNAVAILABLE.
func (s *Service) ChangePassword(ctx context.Context, a eyelevel.Actor, in PasswordChange, keepToken string) error {
	if a.Anonymous() {
		return unauthorized()
	}
	u, err := s.db.UserByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	p := problems{}
	p.check(in.Current != "", "current", "settings.err.current")
	if key := passwordProblem(in.New, u.Username, s.cfg.Demo); key != "" {
		p["new"] = key
	} else if !s.cfg.Demo && passwordProblem(in.New, "", false) == "account.err.password_demo" {
		p["new"] = "account.err.password_demo"
	}
	if err := p.err(); err != nil {
		return err
	}
	if err := s.checkOwnPassword(ctx, u, in.Current, "current"); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, in.New)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := s.revokeLinks(ctx, u.ID); err != nil {
			return err
		}
		_, err := s.db.DeleteUserSessionsExcept(ctx, u.ID, hashToken(keepToken))
		return err
	})
	if err != nil {
		return err
	}
	s.log.Info("password changed", "user", u.ID)
	return nil
}

// NewRecoveryCode replaces the actor's recovery code after checking their
// password and returns the new one, to be shown once. Errors:
// EUNAUTHORIZED, EINVALID (wrong password in field "password"), ETOOMANY,
// EUNAVAILABLE.
func (s *Service) NewRecoveryCode(ctx context.Context, a eyelevel.Actor, password string) (string, error) {
	if a.Anonymous() {
		return "", unauthorized()
	}
	u, err := s.db.UserByID(ctx, a.UserID)
	if err != nil {
		return "", err
	}
	if password == "" {
		return "", invalid(map[string]string{"password": "settings.err.current"})
	}
	if err := s.checkOwnPassword(ctx, u, password, "password"); err != nil {
		return "", err
	}
	var code string
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		code, err = s.setNewRecoveryCode(ctx, u.ID)
		return err
	})
	if err != nil {
		return "", err
	}
	s.log.Info("recovery code renewed", "user", u.ID)
	return code, nil
}

// NewAccount is a just-registered account with its recovery code, which
// exists only here: it is stored hashed and shown once.
type NewAccount struct {
	eyelevel.User
	RecoveryCode string
}

// accountMailSetup gives a new account (created in the transaction ctx
// carries) a recovery code and, when it has an email, a verification link.
func (s *Service) accountMailSetup(ctx context.Context, u eyelevel.User) (string, error) {
	code, err := s.setNewRecoveryCode(ctx, u.ID)
	if err != nil {
		return "", err
	}
	if u.Email != "" && !u.EmailVerified {
		err = s.sendVerification(ctx, u, u.Email)
	}
	return code, err
}

// sweepAccountTokens deletes expired reset and verification links.
func (s *Service) sweepAccountTokens(ctx context.Context, now time.Time) (int64, error) {
	return s.db.DeleteExpiredAccountTokens(ctx, now)
}

// setCounselorEmail applies a profile's email (nil: unchanged) in the
// transaction ctx carries: an admin's entry is verified at once, the
// counselor's own goes through the verification link.
func (s *Service) setCounselorEmail(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID, email *string) error {
	if email == nil {
		return nil
	}
	if err := s.db.DeleteAccountTokens(ctx, id, store.TokenVerify); err != nil {
		return err
	}
	if a.Role == eyelevel.RoleAdmin {
		return s.setEmail(ctx, id, *email, *email != "")
	}
	u, err := s.db.UserByID(ctx, id)
	if err != nil {
		return err
	}
	return s.changeEmail(ctx, u, *email)
}

// pendingEmail returns the address of user's newest unexpired verification
// link, opened, or "".
func (s *Service) pendingEmail(ctx context.Context, user eyelevel.UserID) (string, error) {
	plain, sealed, err := s.db.PendingEmail(ctx, user, s.now())
	if err != nil {
		return "", err
	}
	return s.openSealedEmail(ctx, user, plain, sealed)
}
