package service

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"eyelevel"
)

// BuyerMinGroup is the smallest group whose figure a buyer report shows:
// an organization knows its people, so its reports hide more than the
// operator's impact report.
const BuyerMinGroup = 10

// FinalPeriod names the report of a contract's whole term, frozen at its
// exit.
const FinalPeriod = "final"

// LanguageCount is how many clients used one language.
type LanguageCount struct {
	Language string
	Clients  Stat
}

// BuyerReport is what an organization learns about one contract in one
// closed calendar month, quarter or year: aggregates only.
type BuyerReport struct {
	ContractID   string
	Organization string
	Goals        string
	Period       string    // "2026-11", "2026-Q3", "2026" or "final"
	From, To     time.Time // UTC, To exclusive
	CodesIssued  int       // a count of codes, not of people: never suppressed
	// People-based figures, each suppressed under BuyerMinGroup people.
	CodesRedeemed     Stat
	PeopleStarted     Stat
	SessionsHeld      Stat // sessions; N is the clients who had them
	LateCancellations Stat
	NoShows           Stat // the client's no-shows
	PoolLeft          int  // sessions left in the pool now; -1: no pool. Not a people figure.
	Languages         []LanguageCount
	Rating            Stat
	Outcomes          []Outcome
}

func (r *BuyerReport) stats() []*Stat {
	return []*Stat{&r.CodesRedeemed, &r.PeopleStarted, &r.SessionsHeld, &r.LateCancellations, &r.NoShows, &r.Rating}
}

func (r *BuyerReport) values() []Stat {
	return []Stat{r.CodesRedeemed, r.PeopleStarted, r.SessionsHeld, r.LateCancellations, r.NoShows, r.Rating}
}

// reportContract returns contract id if a may read its reports: admins,
// and the orgadmins of its organization. Everyone else gets ENOTFOUND, as
// if the contract did not exist.
func (s *Service) reportContract(ctx context.Context, a eyelevel.Actor, id string) (eyelevel.Contract, error) {
	if a.Anonymous() || (a.Role != eyelevel.RoleAdmin && a.Role != eyelevel.RoleOrgAdmin) {
		return eyelevel.Contract{}, eyelevel.ErrNotFound()
	}
	k, err := s.db.Contract(ctx, id)
	if err != nil || a.Role == eyelevel.RoleAdmin {
		return k, err
	}
	org, err := s.staffOrganization(ctx, a)
	if err != nil || org != k.OrganizationID {
		return eyelevel.Contract{}, eyelevel.ErrNotFound()
	}
	return k, nil
}

// BuyerReport reports contract id for one closed calendar month, quarter
// or year: from and to are widened to whole periods and must then span
// exactly one. A closed contract's reports come from the snapshots frozen
// at its exit (ENOTFOUND for a period without one). Errors: ENOTFOUND
// (no such contract, or not the actor's), EINVALID (not one period, or a
// period not over yet).
func (s *Service) BuyerReport(ctx context.Context, a eyelevel.Actor, id string, from, to time.Time) (BuyerReport, error) {
	k, err := s.reportContract(ctx, a, id)
	if err != nil {
		return BuyerReport{}, err
	}
	p, ok := widenPeriod(from, to, true)
	if !ok {
		return BuyerReport{}, fieldErr("to", "buyer_report.err.period", "A report covers one calendar month, quarter or year.")
	}
	if p.To.After(s.now().UTC()) {
		return BuyerReport{}, fieldErr("to", "report.err.open", "Reports cover only periods that are over.")
	}
	var r BuyerReport
	if !k.ClosedAt.IsZero() {
		r, err = s.snapshotReport(ctx, k, p.Name)
	} else {
		r, err = s.closedBuyerReport(ctx, k, p) // as published (report_snapshot.go)
	}
	r.PoolLeft = coarsePoolLeft(a, r.PoolLeft) // the pool now, as on the contract's page
	return r, err
}

// FinalReport returns the report of contract id's whole term, frozen at
// its exit. Errors: ENOTFOUND, ECONFLICT (the contract is not closed yet).
func (s *Service) FinalReport(ctx context.Context, a eyelevel.Actor, id string) (BuyerReport, error) {
	k, err := s.reportContract(ctx, a, id)
	if err != nil {
		return BuyerReport{}, err
	}
	if k.ClosedAt.IsZero() {
		return BuyerReport{}, eyelevel.Errorf(eyelevel.ECONFLICT, "buyer_report.err.not_final", "The final report is made when the contract's grace period is over.")
	}
	return s.snapshotReport(ctx, k, FinalPeriod)
}

func (s *Service) snapshotReport(ctx context.Context, k eyelevel.Contract, name string) (BuyerReport, error) {
	var r BuyerReport
	body, err := s.db.Snapshot(ctx, k.ID, name)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return r, eyelevel.Errorf(eyelevel.ENOTFOUND, "buyer_report.err.no_snapshot", "This contract is closed; there is no report of that period.")
	} else if err != nil {
		return r, err
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return r, err
	}
	return r, nil
}

// buyerReport computes contract k's report of period p with secondary
// suppression against its parts (a quarter's months, a year's quarters,
// recursively).
func (s *Service) buyerReport(ctx context.Context, k eyelevel.Contract, p period) (BuyerReport, error) {
	r, raw, err := s.rawBuyerReport(ctx, k, p)
	if err != nil {
		return r, err
	}
	for _, part := range p.parts(true) {
		pr, err := s.buyerReport(ctx, k, part)
		if err != nil {
			return r, err
		}
		suppressBuyerLike(&r, pr)
	}
	suppressLanguages(&r, raw)
	return r, nil
}

// suppressBuyerLike applies secondary suppression of part to whole.
func suppressBuyerLike(whole *BuyerReport, part BuyerReport) {
	suppressAllLike(whole.stats(), part.values())
	suppressOutcomesLike(whole.Outcomes, part.Outcomes)
	hidden := map[string]bool{}
	for _, l := range part.Languages {
		hidden[l.Language] = l.Clients.Suppressed
	}
	for i, l := range whole.Languages {
		if hidden[l.Language] {
			whole.Languages[i].Clients = Stat{Suppressed: true}
		}
	}
}

// suppressLanguages hides further languages when the hidden ones add up to
// fewer than BuyerMinGroup: the clients with sessions held (shown as
// SessionsHeld.N) minus the shown languages must not reveal a small group.
func suppressLanguages(r *BuyerReport, raw map[string]int) {
	shares := make([]Stat, len(r.Languages))
	counts := make([]int, len(r.Languages))
	for i, l := range r.Languages {
		shares[i], counts[i] = l.Clients, raw[l.Language]
	}
	suppressComplement(shares, counts, BuyerMinGroup)
	for i := range shares {
		r.Languages[i].Clients = shares[i]
	}
}

// rawBuyerReport computes contract k's figures of p with primary
// suppression only, and the language counts before suppression.
func (s *Service) rawBuyerReport(ctx context.Context, k eyelevel.Contract, p period) (BuyerReport, map[string]int, error) {
	r := BuyerReport{ContractID: k.ID, Organization: k.OrganizationName, Goals: k.Goals, Period: p.Name, From: p.From, To: p.To, PoolLeft: k.PoolLeft()}
	act, err := s.db.ContractActivity(ctx, k.ID, p.From, p.To)
	if err != nil {
		return r, nil, err
	}
	r.CodesIssued = act.CodesIssued
	r.CodesRedeemed = statOf(float64(act.CodesRedeemed), act.CodesRedeemed, BuyerMinGroup)
	r.PeopleStarted = statOf(float64(act.Started), act.Started, BuyerMinGroup)
	r.SessionsHeld = statOf(float64(act.Held), act.HeldClients, BuyerMinGroup)
	r.LateCancellations = statOf(float64(act.LateCancels), act.LateCancelClients, BuyerMinGroup)
	r.NoShows = statOf(float64(act.NoShows), act.NoShowClients, BuyerMinGroup)
	langs, err := s.db.ContractLanguages(ctx, k.ID, p.From, p.To)
	if err != nil {
		return r, nil, err
	}
	for lang, n := range langs {
		r.Languages = append(r.Languages, LanguageCount{Language: lang, Clients: statOf(float64(n), n, BuyerMinGroup)})
	}
	sort.Slice(r.Languages, func(i, j int) bool { return r.Languages[i].Language < r.Languages[j].Language })
	n, raters, sum, err := s.db.ContractRatings(ctx, k.ID, p.From, p.To)
	if err != nil {
		return r, nil, err
	}
	r.Rating = statOf(float64(sum)/float64(max(n, 1)), raters, BuyerMinGroup)
	ks := s.keys()
	for _, inst := range OutcomeInstruments {
		pairs, err := s.db.ContractOutcomePairs(ctx, k.ID, inst, p.From, p.To, ks.score(ctx))
		if err != nil {
			return r, nil, err
		}
		r.Outcomes = append(r.Outcomes, outcomeOf(inst, pairs, s.percentMultiplier(inst), BuyerMinGroup))
	}
	return r, langs, nil
}

// ReportContract returns contract id for its report pages: to admins and
// the orgadmins of its organization; ENOTFOUND to everyone else.
func (s *Service) ReportContract(ctx context.Context, a eyelevel.Actor, id string) (eyelevel.Contract, error) {
	return s.reportContract(ctx, a, id)
}
