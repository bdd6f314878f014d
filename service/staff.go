package service

import (
	"context"
	"strings"

	"eyelevel"
	"eyelevel/store"
)

// StaffInput creates a staff account of an organization: a care-point
// worker (RoleCarePoint) or an organization manager (RoleOrgAdmin).
type StaffInput struct {
	Username    string        `json:"username"`
	Password    string        `json:"password"`
	DisplayName string        `json:"display_name"`
	Role        eyelevel.Role `json:"role"`
	TimeZone    string        `json:"timezone,omitempty"` // default Europe/Berlin
}

// Valid returns problems per field; it trims the display name and fills
// the default time zone in place.
func (in *StaffInput) Valid() map[string]string {
	p := problems{}
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if in.TimeZone == "" {
		in.TimeZone = "Europe/Berlin"
	}
	p.check(validUsername(in.Username), "username", "account.err.username")
	checkPassword(p, in.Password, in.Username, true)
	p.check(validText(in.DisplayName, 80) && in.DisplayName != "", "display_name", "counselor.err.display_name")
	p.check(!hiddenChars(in.DisplayName, false), "display_name", "counselor.err.hidden_chars")
	p.check(in.Role.OfOrganization(), "role", "staff.err.role")
	_, ok := LoadZone(in.TimeZone)
	p.check(ok, "timezone", "account.err.timezone")
	return p
}

// Staff is a member of an organization's staff, as listed to its managers.
type Staff = store.StaffMember

// canManageStaff reports whether a may list org's staff and add staff of
// role: admins any staff role, an organization's managers care-point
// workers of their own organization. It returns ENOTFOUND for everyone
// else, so nobody learns which organizations exist; EFORBIDDEN when an
// organization's manager asks to add another manager.
func (s *Service) canManageStaff(ctx context.Context, a eyelevel.Actor, org string, role eyelevel.Role) error {
	switch {
	case a.Anonymous():
		return unauthorized()
	case a.Role == eyelevel.RoleAdmin:
		_, err := s.db.Organization(ctx, org)
		return err
	case a.Role == eyelevel.RoleOrgAdmin:
		own, err := s.staffOrganization(ctx, a)
		if err != nil {
			return err
		}
		if own != org {
			return eyelevel.ErrNotFound()
		}
		if role == eyelevel.RoleOrgAdmin {
			return eyelevel.Errorf(eyelevel.EFORBIDDEN, "staff.err.orgadmin_by_operator", "Only the operator can add organization managers.")
		}
		return nil
	}
	return eyelevel.ErrNotFound()
}

// AddStaff creates a staff account of organization org: the account and
// its membership in one transaction. Errors: EUNAUTHORIZED, ENOTFOUND (no
// such organization, or not the actor's to manage), EFORBIDDEN (a manager
// adding a manager), EINVALID, ECONFLICT (username taken), EUNAVAILABLE
// (busy hashing).
func (s *Service) AddStaff(ctx context.Context, a eyelevel.Actor, org string, in StaffInput) (eyelevel.User, error) {
	if err := s.canManageStaff(ctx, a, org, ""); err != nil {
		return eyelevel.User{}, err
	}
	p := problems(in.Valid())
	s.checkDemoPassword(p, in.Password)
	if err := p.err(); err != nil {
		return eyelevel.User{}, err
	}
	if err := s.canManageStaff(ctx, a, org, in.Role); err != nil {
		return eyelevel.User{}, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return eyelevel.User{}, err
	}
	lang := a.Language
	if !IsUILanguage(lang) {
		lang = "de"
	}
	u := eyelevel.User{
		ID: eyelevel.UserID(eyelevel.NewID()), Username: in.Username, Role: in.Role,
		PasswordHash: hash, Language: lang, TimeZone: in.TimeZone, CreatedAt: s.now().UTC(),
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := s.db.AddStaff(ctx, u.ID, org, in.DisplayName); err != nil {
			return err
		}
		return s.logAction(ctx, a, u.ID, eyelevel.ActionStaffAdd)
	})
	if err != nil {
		return eyelevel.User{}, err
	}
	s.log.Info("staff account added", "user", u.ID, "role", u.Role, "organization", org)
	return u, nil
}

// AddStaffBySlug is AddStaff for the organization with this slug (the
// command line names organizations by slug); its errors are AddStaff's.
func (s *Service) AddStaffBySlug(ctx context.Context, a eyelevel.Actor, slug string, in StaffInput) (eyelevel.User, error) {
	if a.Role != eyelevel.RoleAdmin {
		return eyelevel.User{}, eyelevel.ErrNotFound()
	}
	o, err := s.db.OrganizationBySlug(ctx, slug)
	if err != nil {
		return eyelevel.User{}, err
	}
	return s.AddStaff(ctx, a, o.ID, in)
}

// OrganizationStaff lists org's staff to admins and to org's managers.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) OrganizationStaff(ctx context.Context, a eyelevel.Actor, org string) ([]Staff, error) {
	if err := s.canManageStaff(ctx, a, org, ""); err != nil {
		return nil, err
	}
	out, err := s.db.OrganizationStaff(ctx, org)
	if out == nil {
		out = []Staff{}
	}
	return out, err
}

// OrganizationForStaff returns organization id to those who manage its
// staff (see canManageStaff). Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) OrganizationForStaff(ctx context.Context, a eyelevel.Actor, id string) (eyelevel.Organization, error) {
	if err := s.canManageStaff(ctx, a, id, ""); err != nil {
		return eyelevel.Organization{}, err
	}
	return s.db.Organization(ctx, id)
}

// MyOrganization returns the organization a staff member belongs to.
// Errors: EUNAUTHORIZED, ENOTFOUND (not staff of an organization).
func (s *Service) MyOrganization(ctx context.Context, a eyelevel.Actor) (eyelevel.Organization, error) {
	if a.Anonymous() {
		return eyelevel.Organization{}, unauthorized()
	}
	id, err := s.staffOrganization(ctx, a)
	if err != nil {
		return eyelevel.Organization{}, err
	}
	return s.db.Organization(ctx, id)
}
