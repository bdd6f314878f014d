package service

import (
	"context"
	"regexp"
	"strings"
	"time"

	"eyelevel"
)

// OrganizationInput creates an organization.
type OrganizationInput struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// slugPattern is the form of an organization's address /o/{slug}.
var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$`)

// Valid returns the problems of in per field.
func (in OrganizationInput) Valid() map[string]string {
	p := problems{}
	p.check(strings.TrimSpace(in.Name) != "" && validText(in.Name, 200) && !hiddenChars(in.Name, false), "name", "org.err.name")
	p.check(slugPattern.MatchString(in.Slug), "slug", "org.err.slug")
	return p
}

// requireAdmin refuses anyone but an admin; the refusal does not depend
// on whether the thing asked for exists.
func requireAdmin(a eyelevel.Actor) error {
	if a.Anonymous() {
		return unauthorized()
	} else if a.Role != eyelevel.RoleAdmin {
		return forbidden()
	}
	return nil
}

// CreateOrganization creates an organization (admin). Errors: EINVALID
// (name, slug), ECONFLICT (slug taken), EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) CreateOrganization(ctx context.Context, a eyelevel.Actor, in OrganizationInput) (eyelevel.Organization, error) {
	if err := requireAdmin(a); err != nil {
		return eyelevel.Organization{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if err := problems(in.Valid()).err(); err != nil {
		return eyelevel.Organization{}, err
	}
	o := eyelevel.Organization{ID: eyelevel.NewID(), Name: in.Name, Slug: in.Slug, CreatedAt: s.now().UTC()}
	if err := s.db.CreateOrganization(ctx, o); err != nil {
		return eyelevel.Organization{}, err
	}
	return o, nil
}

// Organizations lists the organizations a sees: an admin all, an
// orgadmin their own. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Organizations(ctx context.Context, a eyelevel.Actor) ([]eyelevel.Organization, error) {
	if a.Role == eyelevel.RoleOrgAdmin {
		id, err := s.staffOrganization(ctx, a)
		if err != nil {
			return nil, err
		}
		o, err := s.db.Organization(ctx, id)
		if err != nil {
			return nil, err
		}
		return []eyelevel.Organization{o}, nil
	}
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	return s.db.Organizations(ctx)
}

// Organization returns one organization to an admin or to an orgadmin of
// it. Errors: ENOTFOUND (also for everyone else), EUNAUTHORIZED.
func (s *Service) Organization(ctx context.Context, a eyelevel.Actor, id string) (eyelevel.Organization, error) {
	if err := s.canManage(ctx, a, id); err != nil {
		return eyelevel.Organization{}, err
	}
	return s.db.Organization(ctx, id)
}

// canManage reports whether a may see and manage organization org: an
// admin, or an orgadmin of org. Everyone else gets ENOTFOUND, so that no
// one learns which organizations exist.
func (s *Service) canManage(ctx context.Context, a eyelevel.Actor, org string) error {
	switch {
	case a.Anonymous():
		return unauthorized()
	case a.Role == eyelevel.RoleAdmin:
		return nil
	case a.Role == eyelevel.RoleOrgAdmin:
		own, err := s.staffOrganization(ctx, a)
		if err != nil {
			return err
		}
		if own == org {
			return nil
		}
	}
	return eyelevel.ErrNotFound()
}

// ContractInput creates a contract; see eyelevel.Contract.
type ContractInput struct {
	Starts            string `json:"starts"`
	Ends              string `json:"ends"`
	SessionsPerPerson int    `json:"sessions_per_person"`
	Pool              int    `json:"pool"`
	GraceDays         int    `json:"grace_days"`
	LateCancelCounts  *bool  `json:"late_cancel_counts"` // nil: true
	Goals             string `json:"goals"`
}

// maxContractYears is the longest term of a contract.
const maxContractYears = 5

// inContractYears reports whether a contract's date lies in the years
// 2000 to 2100.
func inContractYears(t time.Time) bool {
	return t.Year() >= 2000 && t.Year() <= 2100
}

// Valid returns the problems of in per field. Dates in the past are
// allowed: an admin may record a running or past contract.
func (in ContractInput) Valid() map[string]string {
	p := problems{}
	starts, err1 := time.Parse(time.DateOnly, in.Starts)
	ends, err2 := time.Parse(time.DateOnly, in.Ends)
	p.check(err1 == nil, "starts", "contract.err.date")
	p.check(err2 == nil, "ends", "contract.err.date")
	p.check(err1 != nil || inContractYears(starts), "starts", "contract.err.year")
	p.check(err2 != nil || inContractYears(ends), "ends", "contract.err.year")
	p.check(err1 != nil || err2 != nil || !ends.Before(starts), "ends", "contract.err.ends")
	// Bounded, because the exit job computes a report for every period of a
	// contract: a term of millennia would be tens of thousands of them.
	p.check(err1 != nil || err2 != nil || ends.Before(starts.AddDate(maxContractYears, 0, 0)), "ends", "contract.err.term")
	p.check(in.SessionsPerPerson >= 1 && in.SessionsPerPerson <= 50, "sessions_per_person", "contract.err.sessions")
	p.check(in.Pool >= 0 && in.Pool <= 10_000_000, "pool", "contract.err.pool")
	p.check(in.GraceDays >= 0 && in.GraceDays <= 365, "grace_days", "contract.err.grace")
	p.check(validText(in.Goals, 4000) && !hiddenChars(in.Goals, true), "goals", "contract.err.goals")
	return p
}

// CreateContract records a contract of organization org (admin). Errors:
// EINVALID, ENOTFOUND (no such organization), EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) CreateContract(ctx context.Context, a eyelevel.Actor, org string, in ContractInput) (eyelevel.Contract, error) {
	if err := requireAdmin(a); err != nil {
		return eyelevel.Contract{}, err
	}
	if err := problems(in.Valid()).err(); err != nil {
		return eyelevel.Contract{}, err
	}
	o, err := s.db.Organization(ctx, org)
	if err != nil {
		return eyelevel.Contract{}, err
	}
	late := in.LateCancelCounts == nil || *in.LateCancelCounts
	k := eyelevel.Contract{
		ID: eyelevel.NewID(), OrganizationID: o.ID, OrganizationName: o.Name, Starts: in.Starts, Ends: in.Ends,
		SessionsPerPerson: in.SessionsPerPerson, Pool: in.Pool, GraceDays: in.GraceDays, LateCancelCounts: late,
		Goals: in.Goals, CreatedAt: s.now().UTC(),
	}
	if err := s.db.CreateContract(ctx, k); err != nil {
		return eyelevel.Contract{}, err
	}
	return k, nil
}

// Contracts lists the contracts of organization org to an admin or an
// orgadmin of it. Errors: ENOTFOUND (also for everyone else), EUNAUTHORIZED.
func (s *Service) Contracts(ctx context.Context, a eyelevel.Actor, org string) ([]eyelevel.Contract, error) {
	if err := s.canManage(ctx, a, org); err != nil {
		return nil, err
	}
	if _, err := s.db.Organization(ctx, org); err != nil {
		return nil, err
	}
	ks, err := s.db.Contracts(ctx, org)
	for i := range ks {
		ks[i] = coarseContract(a, ks[i])
	}
	return ks, err
}

// ManagerPoolStep is how coarsely an organization's managers are told
// how much of a contract's pool is left: rounded down to a multiple of
// it. Live exact figures would let a manager hand out one slip and watch
// that one person redeem it and book; the monthly buyer report has the
// figures, with its small-number rules. Admins see the exact figures.
const ManagerPoolStep = 10

// coarsePoolLeft is left (-1: no pool) as told to actor a.
func coarsePoolLeft(a eyelevel.Actor, left int) int {
	if a.Role == eyelevel.RoleAdmin || left <= 0 {
		return left
	}
	return left / ManagerPoolStep * ManagerPoolStep
}

// coarseContract is k as told to actor a: for anyone but an admin,
// PoolUsed is raised so that PoolLeft is rounded down to a multiple of
// ManagerPoolStep.
func coarseContract(a eyelevel.Actor, k eyelevel.Contract) eyelevel.Contract {
	if k.Pool > 0 {
		k.PoolUsed = k.Pool - coarsePoolLeft(a, k.PoolLeft())
	}
	return k
}

// Contract returns one contract to an admin or an orgadmin of its
// organization, its pool as coarseContract tells it. Errors: ENOTFOUND
// (also for everyone else), EUNAUTHORIZED.
func (s *Service) Contract(ctx context.Context, a eyelevel.Actor, id string) (eyelevel.Contract, error) {
	k, err := s.managedContract(ctx, a, id)
	return coarseContract(a, k), err
}

// managedContract is Contract with the exact figures, for the service's
// own decisions.
func (s *Service) managedContract(ctx context.Context, a eyelevel.Actor, id string) (eyelevel.Contract, error) {
	if a.Anonymous() {
		return eyelevel.Contract{}, unauthorized()
	}
	k, err := s.db.Contract(ctx, id)
	if err != nil {
		return eyelevel.Contract{}, err
	}
	if err := s.canManage(ctx, a, k.OrganizationID); err != nil {
		return eyelevel.Contract{}, err
	}
	return k, nil
}

// ContractCodes is how many codes of a contract were issued and redeemed
// (never by whom), to an admin or an orgadmin of its organization. Only
// admins learn the live redeemed count; for everyone else it is -1 (see
// ManagerPoolStep: the monthly buyer report has it). Errors as Contract.
func (s *Service) ContractCodes(ctx context.Context, a eyelevel.Actor, id string) (issued, redeemed int, err error) {
	if _, err := s.managedContract(ctx, a, id); err != nil {
		return 0, 0, err
	}
	c, err := s.db.CodeCounts(ctx, id)
	if a.Role != eyelevel.RoleAdmin {
		c.Redeemed = -1
	}
	return c.Issued, c.Redeemed, err
}

// Landing is what an organization's public page /o/{slug} shows: who
// pays and what a person gets — nothing about any person.
type Landing struct {
	Name, Slug string
	// Running is whether a contract runs now; the fields below describe it.
	Running           bool
	SessionsPerPerson int
	PoolLeft          bool      // sessions are left to book (or there is no pool)
	Ends              time.Time // the contract's last day (00:00 UTC)
}

// OrgLanding returns the public facts of the organization with slug.
// Errors: ENOTFOUND.
func (s *Service) OrgLanding(ctx context.Context, slug string) (Landing, error) {
	if !slugPattern.MatchString(slug) {
		return Landing{}, eyelevel.ErrNotFound()
	}
	o, err := s.db.OrganizationBySlug(ctx, slug)
	if err != nil {
		return Landing{}, err
	}
	l := Landing{Name: o.Name, Slug: o.Slug}
	ks, err := s.db.Contracts(ctx, o.ID)
	if err != nil {
		return Landing{}, err
	}
	now := s.now()
	for _, k := range ks { // latest start first
		if k.Running(now) && k.ClosedAt.IsZero() {
			l.Running, l.SessionsPerPerson, l.PoolLeft = true, k.SessionsPerPerson, k.PoolLeft() != 0
			l.Ends = k.EndTime().AddDate(0, 0, -1)
			break
		}
	}
	return l, nil
}
