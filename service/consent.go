package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"
)

// DefaultConsentVersion is the consent version when the operator sets none.
const DefaultConsentVersion = "1"

// ValidConsentVersion reports whether v can name a consent version: one
// line of at most 64 printable bytes.
func ValidConsentVersion(v string) bool {
	if v == "" || len(v) > 64 || !utf8.ValidString(v) {
		return false
	}
	return !strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// consentVersion is the version new consents are recorded with.
func (s *Service) consentVersion() string {
	if s.cfg.ConsentVersion == "" {
		return DefaultConsentVersion
	}
	return s.cfg.ConsentVersion
}

// recordConsent records in ctx's transaction that client agreed to the
// current version now; by is the care-point staff member before whom the
// client agreed, "" when they agreed themselves.
func (s *Service) recordConsent(ctx context.Context, client, by eyelevel.UserID) error {
	return s.db.AddConsent(ctx, store.Consent{UserID: string(client), Version: s.consentVersion(), GivenAt: s.now().UTC(), RecordedBy: string(by)})
}

// ConsentState is what the consent page shows: the version in force,
// the client's latest consent (zero when none) and whether they must
// agree (again) before using the service.
type ConsentState struct {
	Current string
	Latest  store.Consent
	Due     bool
}

// Consent returns the acting client's consent state. Staff are never due:
// they process clients' data under their contract with the operator, not
// by consent. Errors: EUNAUTHORIZED.
func (s *Service) Consent(ctx context.Context, a eyelevel.Actor) (ConsentState, error) {
	if a.Anonymous() {
		return ConsentState{}, unauthorized()
	}
	st := ConsentState{Current: s.consentVersion()}
	if a.Role != eyelevel.RoleClient {
		return st, nil
	}
	latest, ok, err := s.db.LatestConsent(ctx, string(a.UserID))
	if err != nil {
		return st, err
	}
	st.Latest = latest
	st.Due = s.cfg.ConsentVersion != "" && (!ok || latest.Version != s.cfg.ConsentVersion)
	return st, nil
}

// ConsentDue reports whether a is a client who must agree to the current
// consent version before anything else. Errors: the database's.
func (s *Service) ConsentDue(ctx context.Context, a eyelevel.Actor) (bool, error) {
	if a.Anonymous() || a.Role != eyelevel.RoleClient || s.cfg.ConsentVersion == "" {
		return false, nil
	}
	st, err := s.Consent(ctx, a)
	return st.Due, err
}

// GiveConsent records that the acting client agrees to version, which
// must be the current one (the page they read may be older). Errors:
// EUNAUTHORIZED, EFORBIDDEN (not a client), EINVALID (version).
func (s *Service) GiveConsent(ctx context.Context, a eyelevel.Actor, version string) error {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return err
	}
	if version != s.consentVersion() {
		return invalid(map[string]string{"version": "consent.err.version"})
	}
	if err := s.recordConsent(ctx, a.UserID, ""); err != nil {
		return err
	}
	s.log.Info("consent given", "user", a.UserID, "version", version)
	return nil
}

// WithdrawConsent withdraws the acting client's consent to the processing
// of their health data. Without it eyelevel cannot serve them, so the
// account is deleted (eraseAccount). The password confirms that it is the
// client. Errors: EUNAUTHORIZED, EFORBIDDEN (not a client), EINVALID
// (password), ETOOMANY, and eraseAccount's.
func (s *Service) WithdrawConsent(ctx context.Context, a eyelevel.Actor, password string) error {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return err
	}
	if password == "" {
		return invalid(map[string]string{"password": "settings.err.current"})
	}
	u, err := s.db.UserByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	if err := s.checkOwnPassword(ctx, u, password, "password"); err != nil {
		return err
	}
	if err := s.eraseAccount(ctx, a.UserID, "consent"); err != nil {
		return err
	}
	s.log.Info("consent withdrawn: account deleted", "user", a.UserID)
	return nil
}

// RecordConsentFor records, for the command line only (a is Operator),
// that client agreed to the current version outside the app: the demo's
// fictional client. Errors: EFORBIDDEN.
func (s *Service) RecordConsentFor(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) error {
	if a != Operator {
		return forbidden()
	}
	return s.recordConsent(ctx, client, a.UserID)
}
