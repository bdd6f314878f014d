package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// ConsentVersion names the consent text a client agrees to when a care
// point registers them (catalog key carepoint.consent.text). A new text
// gets a new version, so the recorded consent says what was agreed to.
const ConsentVersion = "carepoint-consent-1"

// CarePointClientInput is a client a care point registers on the
// client's behalf. Consent must be true: the client has read the consent
// text (in their language) and agrees.
type CarePointClientInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Language string `json:"language"`
	TimeZone string `json:"timezone"`
	Consent  bool   `json:"consent"`
	// HealthConsent must be true: the client, in person, agrees to the
	// processing of their health data (consent.go), as on registration.
	HealthConsent bool `json:"health_consent"`
}

// Valid returns problems per field.
func (in CarePointClientInput) Valid() map[string]string {
	p := problems(RegisterInput{Username: in.Username, Password: in.Password, Language: in.Language, TimeZone: in.TimeZone}.Valid())
	p.check(in.Consent, "consent", "carepoint.err.consent")
	p.check(in.HealthConsent, "health_consent", "consent.err.required")
	return p
}

// carePointActor checks that a is care-point staff and returns their
// organization. Everyone else gets ENOTFOUND (EUNAUTHORIZED when anonymous).
func (s *Service) carePointActor(ctx context.Context, a eyelevel.Actor) (string, error) {
	if a.Anonymous() {
		return "", unauthorized()
	} else if a.Role != eyelevel.RoleCarePoint {
		return "", eyelevel.ErrNotFound()
	}
	return s.staffOrganization(ctx, a)
}

// runningContract returns the contract of org that a care point registers
// clients under now: a running one with sessions left in its pool, the
// one ending last. Errors: EEXPIRED when there is none.
func (s *Service) runningContract(ctx context.Context, org string, now time.Time) (eyelevel.Contract, error) {
	ks, err := s.db.Contracts(ctx, org)
	if err != nil {
		return eyelevel.Contract{}, err
	}
	var best eyelevel.Contract
	for _, k := range ks {
		if k.Running(now) && k.ClosedAt.IsZero() && k.PoolLeft() != 0 && (best.ID == "" || k.Ends > best.Ends) {
			best = k
		}
	}
	if best.ID == "" {
		return best, eyelevel.Errorf(eyelevel.EEXPIRED, "carepoint.err.no_contract", "Your organization has no running contract with sessions left, so no one can be registered here now.")
	}
	return best, nil
}

// RegisterForClient creates a client account at a care point, with the
// client's consent recorded, and credits the organization's running
// contract's allowance — all in one transaction. Errors: EUNAUTHORIZED,
// ENOTFOUND (not care-point staff), EINVALID (consent missing, bad
// fields), EEXPIRED (no running contract), ECONFLICT (username taken,
// pool used up), EUNAVAILABLE (busy hashing).
func (s *Service) RegisterForClient(ctx context.Context, a eyelevel.Actor, in CarePointClientInput) (eyelevel.User, error) {
	n, err := s.SignUpForClient(ctx, a, in)
	return n.User, err
}

// SignUpForClient is RegisterForClient that also returns the new account's
// recovery code, for the access slip the client takes home (shown once).
// Its errors are RegisterForClient's.
func (s *Service) SignUpForClient(ctx context.Context, a eyelevel.Actor, in CarePointClientInput) (NewAccount, error) {
	var code string
	u, err := s.registerForClient(ctx, a, in, func(ctx context.Context, u eyelevel.User) (err error) {
		code, err = s.accountMailSetup(ctx, u)
		return err
	})
	return NewAccount{User: u, RecoveryCode: code}, err
}

func (s *Service) registerForClient(ctx context.Context, a eyelevel.Actor, in CarePointClientInput, setup func(context.Context, eyelevel.User) error) (eyelevel.User, error) {
	org, err := s.carePointActor(ctx, a)
	if err != nil {
		return eyelevel.User{}, err
	}
	p := problems(in.Valid())
	s.checkDemoPassword(p, in.Password)
	if err := p.err(); err != nil {
		return eyelevel.User{}, err
	}
	now := s.now().UTC()
	if _, err := s.runningContract(ctx, org, now); err != nil {
		return eyelevel.User{}, err // before hashing: refuse early
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return eyelevel.User{}, err
	}
	u := eyelevel.User{
		ID: eyelevel.UserID(eyelevel.NewID()), Username: in.Username, Role: eyelevel.RoleClient,
		PasswordHash: hash, Language: in.Language, TimeZone: in.TimeZone, CreatedAt: now,
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		k, err := s.runningContract(ctx, org, now)
		if err != nil {
			return err
		}
		if err := s.db.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := setup(ctx, u); err != nil {
			return err
		}
		if err := s.recordConsent(ctx, u.ID, a.UserID); err != nil {
			return err
		}
		if _, err := s.grantContract(ctx, u.ID, k, now); err != nil {
			return err
		}
		if err := s.db.CreateCarePointLink(ctx, store.CarePointLink{
			ClientID: u.ID, StaffID: a.UserID, OrganizationID: org, ContractID: k.ID,
			ConsentVersion: ConsentVersion, ConsentAt: now,
		}); err != nil {
			return err
		}
		return s.logAction(ctx, a, u.ID, eyelevel.ActionCarePointRegister)
	})
	if err != nil {
		return eyelevel.User{}, err
	}
	s.log.Info("client registered at a care point", "user", u.ID, "staff", a.UserID)
	return u, nil
}

// CarePointClient is what a care point sees of a client it registered:
// the pseudonym, the language, the upcoming appointments (time and
// counselor) and the sessions left of the organization's allowance —
// nothing of the client's care.
type CarePointClient struct {
	ID          eyelevel.UserID
	Username    string
	Language    string
	Upcoming    []CarePointAppointment
	CreditsLeft int
}

// CarePointAppointment is an upcoming session as a care point sees it.
type CarePointAppointment struct {
	ID            eyelevel.AppointmentID
	Start, End    time.Time
	CounselorName string
}

// CarePointClients lists the clients the acting care-point staff member
// registered and who have not ended the care point's access, by username,
// at most store.MaxCarePointClients (three queries, however many).
// Errors: EUNAUTHORIZED, ENOTFOUND (not care-point staff).
func (s *Service) CarePointClients(ctx context.Context, a eyelevel.Actor) ([]CarePointClient, error) {
	if _, err := s.carePointActor(ctx, a); err != nil {
		return nil, err
	}
	now := s.now()
	links, err := s.db.CarePointClients(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	appts, err := s.db.CarePointUpcoming(ctx, a.UserID, now)
	if err != nil {
		return nil, err
	}
	credits, err := s.db.CarePointCredits(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	ids := make([]eyelevel.UserID, len(links))
	for i, l := range links {
		ids[i] = l.ClientID
	}
	// Logged on its own: the list is three reads outside a transaction.
	if err := s.logAccessEach(ctx, a, ids, eyelevel.ViewCarePoint); err != nil {
		return nil, err
	}
	out := make([]CarePointClient, len(links))
	at := map[eyelevel.UserID]*CarePointClient{}
	for i, l := range links {
		out[i] = CarePointClient{ID: l.ClientID, Username: l.Username, Language: l.Language, Upcoming: []CarePointAppointment{}}
		at[l.ClientID] = &out[i]
	}
	for _, ap := range appts {
		if c := at[ap.ClientID]; c != nil && len(c.Upcoming) < maxCarePointUpcoming {
			c.Upcoming = append(c.Upcoming, CarePointAppointment{ID: ap.ID, Start: ap.Start, End: ap.End, CounselorName: ap.CounselorName})
		}
	}
	for _, cr := range credits {
		if c := at[cr.ClientID]; c != nil {
			c.CreditsLeft += cr.Usable(now)
		}
	}
	return out, nil
}

// maxCarePointUpcoming is how many upcoming sessions of one client a care
// point sees.
const maxCarePointUpcoming = 50

// CarePointClientOf returns one client of the acting care-point staff
// member. Errors: EUNAUTHORIZED, ENOTFOUND (not theirs, or access ended).
func (s *Service) CarePointClientOf(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) (CarePointClient, error) {
	var c CarePointClient
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		l, err := s.carePointLink(ctx, a, client)
		if err != nil {
			return err
		}
		u, err := s.db.UserByID(ctx, client)
		if err != nil {
			return err
		}
		if c, err = s.carePointView(ctx, store.CarePointClient{CarePointLink: l, Username: u.Username, Language: u.Language}); err != nil {
			return err
		}
		return s.logAccess(ctx, a, client, eyelevel.ViewCarePoint)
	})
	return c, err
}

// carePointLink returns the link of client if a is the care-point staff
// member acting for them; ENOTFOUND otherwise.
func (s *Service) carePointLink(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) (store.CarePointLink, error) {
	if _, err := s.carePointActor(ctx, a); err != nil {
		return store.CarePointLink{}, err
	}
	l, err := s.db.CarePointLinkOf(ctx, client)
	if err != nil {
		return l, err
	}
	if l.StaffID != a.UserID {
		return store.CarePointLink{}, eyelevel.ErrNotFound()
	}
	return l, nil
}

func (s *Service) carePointView(ctx context.Context, l store.CarePointClient) (CarePointClient, error) {
	now := s.now()
	c := CarePointClient{ID: l.ClientID, Username: l.Username, Language: l.Language, Upcoming: []CarePointAppointment{}}
	appts, err := s.db.Appointments(ctx, store.AppointmentFilter{ClientID: l.ClientID, EndsAfter: now, BookedOnly: true, Limit: maxCarePointUpcoming})
	if err != nil {
		return c, err
	}
	for _, ap := range appts {
		c.Upcoming = append(c.Upcoming, CarePointAppointment{ID: ap.ID, Start: ap.Start, End: ap.End, CounselorName: ap.CounselorName})
	}
	credits, err := s.db.ClientCredits(ctx, l.ClientID, now)
	if err != nil {
		return c, err
	}
	for _, cr := range credits {
		if cr.ContractID == l.ContractID { // a package the client bought is not the care point's business
			c.CreditsLeft += cr.Usable(now)
		}
	}
	return c, nil
}

// CarePointAccess is what a client is told about the care point acting
// for them.
type CarePointAccess struct {
	Organization string
	Since        time.Time // when the client consented
	Consent      string    // the version of the consent text
}

// MyCarePoint returns the care point acting for the acting client.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client), ENOTFOUND (no care
// point acts for the client).
func (s *Service) MyCarePoint(ctx context.Context, a eyelevel.Actor) (CarePointAccess, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return CarePointAccess{}, err
	}
	l, err := s.db.CarePointLinkOf(ctx, a.UserID)
	if err != nil {
		return CarePointAccess{}, err
	}
	o, err := s.db.Organization(ctx, l.OrganizationID)
	if err != nil {
		return CarePointAccess{}, err
	}
	return CarePointAccess{Organization: o.Name, Since: l.ConsentAt, Consent: l.ConsentVersion}, nil
}

// EndCarePoint ends the care point's access to the acting client: it
// no longer sees the client nor books for them. The client's account,
// credits and appointments stay. Errors: EUNAUTHORIZED, EFORBIDDEN (not a
// client), ENOTFOUND (no care point acts for the client).
func (s *Service) EndCarePoint(ctx context.Context, a eyelevel.Actor) error {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return err
	}
	ok, err := s.db.DeleteCarePointLink(ctx, a.UserID)
	if err != nil {
		return err
	} else if !ok {
		return eyelevel.ErrNotFound()
	}
	s.log.Info("client ended the care point's access", "user", a.UserID)
	return nil
}

// Slip is the access slip a care point prints for a client, in the
// client's language: how to log in, the first appointment, where to get
// help at once.
type Slip struct {
	Username string
	Language string
	First    *CarePointAppointment
	Hotlines []Hotline
}

// AccessSlip returns the access slip of one of the acting care-point staff
// member's clients. Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) AccessSlip(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) (Slip, error) {
	c, err := s.CarePointClientOf(ctx, a, client)
	if err != nil {
		return Slip{}, err
	}
	out := Slip{Username: c.Username, Language: c.Language, Hotlines: s.cfg.Hotlines}
	if len(c.Upcoming) > 0 {
		out.First = &c.Upcoming[0]
	}
	return out, nil
}
