package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Passkeys (WebAuthn) are the other second factor beside TOTP (issue 12):
// an account may register several, a staff account with one (and no TOTP)
// counts as enrolled, and the page login's second step accepts an
// assertion of one of the pending login's account's passkeys instead of a
// code (passkey_login.go).
//
// The relying party is the host of the public URL (Config.Mail.PublicURL,
// --public-url; serve defaults it to the address it listens on), and the
// only origin accepted is that URL's origin. The request's Host header is
// not used: behind a proxy it names the backend. WebAuthn allows no IP
// address as relying party, so a loopback address (127.0.0.1, ::1) becomes
// "localhost" (open the service as http://localhost:PORT for passkeys in
// development); any other IP address, or no public URL, leaves passkeys
// unavailable. Passkeys registered under one host do not work under
// another: changing the public URL's host makes them useless (the
// recovery codes and TOTP still work).
//
// Ceremonies: the challenge and its session data are kept in
// passkey_challenges for passkeyTTL, for one account and purpose (and, for
// a login, bound to the pending login), and taken once. The signature
// counter must grow (unless the authenticator keeps none, then it is 0
// both times): a counter that does not is refused as a cloned
// authenticator.
const (
	passkeyTTL      = 5 * time.Minute
	passkeyNameMax  = 60
	passkeyRegister = "register"
	passkeyLogin    = "login"
)

// Passkey is a registered passkey as its owner sees it.
type Passkey struct {
	ID       string // base64url of the credential id
	Name     string // chosen by the owner; may be empty
	Created  time.Time
	LastUsed time.Time // zero: never used to log in
}

// relyingParty returns the WebAuthn relying party of the public URL, or
// EUNAVAILABLE.
func (s *Service) relyingParty() (*webauthn.WebAuthn, error) {
	rpid, origin, ok := passkeyOrigin(s.cfg.Mail.PublicURL)
	if !ok {
		return nil, passkeysUnavailable()
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          rpid,
		RPDisplayName: tfaIssuer,
		RPOrigins:     []string{origin},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: passkeyTTL, TimeoutUVD: passkeyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: passkeyTTL, TimeoutUVD: passkeyTTL},
		},
	})
	if err != nil {
		s.log.Error("passkey relying party", "err", err)
		return nil, passkeysUnavailable()
	}
	return w, nil
}

// passkeyOrigin derives the relying party id and origin from the public
// URL (see above).
func passkeyOrigin(public string) (rpid, origin string, ok bool) {
	u, err := url.Parse(public)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return "", "", false
	}
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return "", "", false
		}
		host = "localhost"
	}
	if u.Scheme == "http" && host != "localhost" && !strings.HasSuffix(host, ".localhost") {
		return "", "", false // WebAuthn needs a secure context
	}
	origin = u.Scheme + "://" + host
	if p := u.Port(); p != "" {
		origin += ":" + p
	}
	return host, origin, true
}

// PasskeysAvailable reports whether passkeys can be used here (a public
// URL that can be a relying party).
func (s *Service) PasskeysAvailable() bool {
	_, _, ok := passkeyOrigin(s.cfg.Mail.PublicURL)
	return ok
}

func passkeysUnavailable() error {
	return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "passkey.err.unavailable", "Passkeys are not available on this server.")
}

func passkeyFailed() error {
	return eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "passkey.err.failed", "The passkey was not accepted. Try again or use a code.")
}

func passkeyExpired() error {
	return eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "passkey.err.expired", "This took too long. Please try again.")
}

// passkeyUser is an account as go-webauthn sees it. The user handle is the
// account's id (random, no personal data); the name shown by the
// authenticator is the username.
type passkeyUser struct {
	u     eyelevel.User
	creds []webauthn.Credential
	rows  []store.Passkey
}

func (p *passkeyUser) WebAuthnID() []byte                         { return []byte(p.u.ID) }
func (p *passkeyUser) WebAuthnName() string                       { return p.u.Username }
func (p *passkeyUser) WebAuthnDisplayName() string                { return p.u.Username }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

func (p *passkeyUser) descriptors() []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(p.creds))
	for i, c := range p.creds {
		out[i] = c.Descriptor()
	}
	return out
}

// loadPasskeyUser reads u's passkeys.
func (s *Service) loadPasskeyUser(ctx context.Context, u eyelevel.User) (*passkeyUser, error) {
	rows, err := s.db.PasskeysOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	pu := &passkeyUser{u: u, rows: rows}
	for _, r := range rows {
		var c webauthn.Credential
		if err := json.Unmarshal(r.Credential, &c); err != nil {
			return nil, err
		}
		c.Authenticator.SignCount = r.SignCount // the column is the truth
		pu.creds = append(pu.creds, c)
	}
	return pu, nil
}

// hasPasskey reports whether user has a passkey; with one, the account
// counts as having a second factor (secondfactor*.go).
func (s *Service) hasPasskey(ctx context.Context, user eyelevel.UserID) (bool, error) {
	n, err := s.db.CountPasskeys(ctx, user)
	return n > 0, err
}

// Passkeys lists the actor's passkeys. Errors: EUNAUTHORIZED.
func (s *Service) Passkeys(ctx context.Context, a eyelevel.Actor) ([]Passkey, error) {
	if a.Anonymous() {
		return nil, unauthorized()
	}
	rows, err := s.db.PasskeysOf(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]Passkey, len(rows))
	for i, r := range rows {
		out[i] = Passkey{ID: base64.RawURLEncoding.EncodeToString(r.ID), Name: r.Name, Created: r.CreatedAt, LastUsed: r.LastUsedAt}
	}
	return out, nil
}

// saveCeremony keeps session for user and purpose until passkeyTTL.
func (s *Service) saveCeremony(ctx context.Context, user eyelevel.UserID, purpose, binding string, session *webauthn.SessionData) error {
	b, err := json.Marshal(session)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.PutPasskeyChallenge(ctx, store.PasskeyChallenge{Challenge: session.Challenge, UserID: user, Purpose: purpose,
		Binding: binding, Session: b, Expires: now.Add(passkeyTTL)}, now)
}

// takeCeremony takes the ceremony of challenge, once.
func (s *Service) takeCeremony(ctx context.Context, challenge string, user eyelevel.UserID, purpose, binding string) (webauthn.SessionData, error) {
	var session webauthn.SessionData
	b, err := s.db.TakePasskeyChallenge(ctx, challenge, user, purpose, binding, s.now())
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return session, passkeyExpired()
	} else if err != nil {
		return session, err
	}
	return session, json.Unmarshal(b, &session)
}

// BeginPasskeyRegistration starts adding a passkey to the actor's account
// and returns the options for navigator.credentials.create as JSON. A
// limited session may call it only while the account has no factor.
// Errors: EUNAUTHORIZED, ESECONDFACTOR (a limited session of an account
// with a factor), EUNAVAILABLE.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, a eyelevel.Actor) ([]byte, error) {
	if a.Anonymous() || a.UserID == Operator.UserID {
		return nil, unauthorized()
	}
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	if err := s.refuseLimitedEnrolled(ctx, a); err != nil {
		return nil, err
	}
	u, err := s.db.UserByID(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	pu, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return nil, err
	}
	creation, session, err := rp.BeginRegistration(pu,
		webauthn.WithExclusions(pu.descriptors()),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementDiscouraged,
			UserVerification: protocol.VerificationDiscouraged,
		}))
	if err != nil {
		return nil, err
	}
	if err := s.saveCeremony(ctx, u.ID, passkeyRegister, "", session); err != nil {
		return nil, err
	}
	return json.Marshal(creation)
}

// FinishPasskeyRegistration checks the authenticator's response to the
// actor's started registration and stores the passkey under name. An
// account without recovery codes gets ten, returned to be shown once (nil
// otherwise). Every limited session of the account ends (see
// refuseLimitedEnrolled). Errors: EUNAUTHORIZED (also an expired or used
// ceremony), EINVALID (a response that is not one, a name too long),
// ECONFLICT (registered already), ESECONDFACTOR (a limited session of an
// account with a factor), EUNAVAILABLE.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, a eyelevel.Actor, name string, response []byte) ([]string, error) {
	if a.Anonymous() || a.UserID == Operator.UserID {
		return nil, unauthorized()
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > passkeyNameMax || strings.ContainsAny(name, "\x00\r\n") {
		return nil, eyelevel.Invalid(map[string]string{"name": "passkey.err.name"})
	}
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, passkeyFailed()
	}
	session, err := s.takeCeremony(ctx, parsed.Response.CollectedClientData.Challenge, a.UserID, passkeyRegister, "")
	if err != nil {
		return nil, err
	}
	var codes []string
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.refuseLimitedEnrolled(ctx, a); err != nil {
			return err
		}
		u, err := s.db.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		pu, err := s.loadPasskeyUser(ctx, u)
		if err != nil {
			return err
		}
		cred, err := rp.CreateCredential(pu, session, parsed)
		if err != nil {
			s.log.Info("passkey registration refused", "user", u.ID, "err", err)
			return passkeyFailed()
		}
		rec, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		if err := s.db.PutPasskey(ctx, store.Passkey{ID: cred.ID, UserID: u.ID, Name: name, PublicKey: cred.PublicKey,
			SignCount: cred.Authenticator.SignCount, AAGUID: cred.Authenticator.AAGUID, Credential: rec, CreatedAt: s.now()}); err != nil {
			return err
		}
		if err := s.endLimitedSessions(ctx, u.ID); err != nil {
			return err
		}
		// Nobody gets locked out: an account whose first factor this is
		// (or that used up its codes) gets ten recovery codes now.
		left, err := s.db.RecoveryCodesLeft(ctx, u.ID)
		if err != nil || left > 0 {
			return err
		}
		codes = newRecoveryCodes()
		hashes := make([]string, len(codes))
		for i, c := range codes {
			hashes[i] = recoveryHash(u.ID, c)
		}
		return s.db.AddRecoveryCodes(ctx, u.ID, hashes)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("passkey added", "user", a.UserID)
	return codes, nil
}

// DeletePasskey removes one of the actor's passkeys (id as in Passkey.ID).
// A staff account keeps at least one factor: its last passkey goes only
// when TOTP is set up. A limited session cannot. Errors: EUNAUTHORIZED,
// ENOTFOUND, EFORBIDDEN (the last factor of a staff account),
// ESECONDFACTOR (a limited session).
func (s *Service) DeletePasskey(ctx context.Context, a eyelevel.Actor, id string) error {
	if a.Anonymous() {
		return unauthorized()
	}
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) == 0 {
		return eyelevel.ErrNotFound()
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.refuseLimitedEnrolled(ctx, a); err != nil {
			return err
		}
		n, err := s.db.CountPasskeys(ctx, a.UserID)
		if err != nil {
			return err
		}
		totp, err := s.db.HasSecondFactor(ctx, a.UserID)
		if err != nil {
			return err
		}
		ok, err := s.db.DeletePasskey(ctx, a.UserID, raw)
		if err != nil {
			return err
		}
		if !ok {
			return eyelevel.ErrNotFound()
		}
		if n > 1 || totp {
			return nil
		}
		if needsSecondFactor(a.Role) {
			return eyelevel.Errorf(eyelevel.EFORBIDDEN, "passkey.err.last", "Staff accounts must keep a second factor: set up the app first, or add another passkey.")
		}
		// A client's last factor: the recovery codes go with it.
		_, err = s.db.DeleteSecondFactor(ctx, a.UserID)
		return err
	})
	if err == nil {
		s.log.Info("passkey removed", "user", a.UserID)
	}
	return err
}
