package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"eyelevel"
)

// Payer is who pays for the next session a client books: the one choice
// booking makes, which pages state before anything is booked.
type Payer struct {
	PaidBy eyelevel.PaidBy // free, organization or purchase; "" when the client must buy a package first
	// Organization names who pays (PaidOrganization).
	Organization string
	// Left is how many sessions the client can still book from that
	// source, this one included.
	Left int
	// Price is the price of one session ("€65") and Packages the sizes on
	// sale, when the client must buy a package.
	Price    string
	Packages string
	// OrgUsedUp: the client held an organization's sessions and they are
	// used up (or ended), so the page and the refusal say so.
	OrgUsedUp bool
}

// NeedsPackage reports whether booking is refused until the client buys.
func (p Payer) NeedsPackage() bool { return p.PaidBy == "" }

// WhoPays tells a client who would pay for a session booked now. For
// anyone else it is free (they do not book; care points see it per client
// when booking). Errors: EUNAUTHORIZED.
func (s *Service) WhoPays(ctx context.Context, a eyelevel.Actor) (Payer, error) {
	if a.Anonymous() {
		return Payer{}, unauthorized()
	}
	if a.Role != eyelevel.RoleClient {
		return Payer{PaidBy: eyelevel.PaidFree}, nil
	}
	now := s.now()
	p, _, err := s.payer(ctx, a.UserID, payFor{now: now, start: s.earliestStart()})
	return p, err
}

// payFor is what payer decides for: a session booked at now starting at
// start, paid only by the credits of contract when it is set (a care
// point books on its organization's contract, never on the client's own
// package).
type payFor struct {
	now, start time.Time
	contract   string
}

// usable returns how many sessions credit c pays for under f.
func (f payFor) usable(c eyelevel.Credit) int {
	if f.contract != "" && (c.Source != eyelevel.SourceOrganization || c.ContractID != f.contract) {
		return 0
	}
	return c.UsableFor(f.now, f.start)
}

// payer decides who pays for a session client books under f, and returns
// the client's usable credits in the order booking draws them (the
// organization's first, earliest expiry first). With a usable credit its
// source pays; without one the session is free unless the operator
// charges.
func (s *Service) payer(ctx context.Context, client eyelevel.UserID, f payFor) (Payer, []eyelevel.Credit, error) {
	credits, err := s.db.ClientCredits(ctx, client, f.now)
	if err != nil {
		return Payer{}, nil, err
	}
	var usable []eyelevel.Credit
	orgUsedUp := false
	for _, c := range credits {
		if f.usable(c) > 0 {
			usable = append(usable, c)
		} else if c.Source == eyelevel.SourceOrganization && (f.contract == "" || c.ContractID == f.contract) {
			orgUsedUp = true
		}
	}
	if len(usable) > 0 {
		first := usable[0]
		p := Payer{PaidBy: eyelevel.PaidPurchase, Left: 0}
		if first.Source == eyelevel.SourceOrganization {
			p.PaidBy, p.Organization = eyelevel.PaidOrganization, first.Organization
		}
		for _, c := range usable {
			if c.Source == first.Source && c.Organization == first.Organization {
				p.Left += f.usable(c)
			}
		}
		return p, usable, nil
	}
	pr, err := s.db.Pricing(ctx)
	if err != nil {
		return Payer{}, nil, err
	}
	if !pr.Charging() {
		return Payer{PaidBy: eyelevel.PaidFree, OrgUsedUp: orgUsedUp}, nil, nil
	}
	return Payer{Price: Money(pr.Currency, pr.SessionPrice), Packages: packageSizes(pr.Packages), OrgUsedUp: orgUsedUp}, nil, nil
}

// paymentRequired is the refusal of a booking the client must pay for
// first: it names the price and the packages on sale.
func paymentRequired(p Payer) error {
	var e *eyelevel.Error
	if p.OrgUsedUp {
		e = eyelevel.Errorf(eyelevel.EPAYMENT, "payment.err.org_used_up",
			"The sessions your organization pays for are used up. A session costs %s. Buy a package of %s sessions.", p.Price, p.Packages)
	} else {
		e = eyelevel.Errorf(eyelevel.EPAYMENT, "payment.err.required",
			"A session costs %s. Buy a package of %s sessions.", p.Price, p.Packages)
	}
	e.Args = []any{"price", p.Price, "packages", p.Packages}
	return e
}

// errNoCredit rolls back a booking whose credits all ran out while it
// was being made.
var errNoCredit = errors.New("no credit left")

// drawCredit draws one session for appt from the first of credits that
// still has one (a racing booking may have emptied a pool since they were
// read) and records it on the appointment. It reports false when none
// could be drawn. Call it in the booking's transaction, after store.Book.
func (s *Service) drawCredit(ctx context.Context, appt *eyelevel.Appointment, credits []eyelevel.Credit) (bool, error) {
	for _, c := range credits {
		ok, err := s.db.DrawCredit(ctx, c.ID, c.ContractID)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		paid := paidByOf(c)
		if paid != appt.PaidBy || c.ID != appt.CreditID {
			appt.PaidBy, appt.CreditID, appt.ContractID = paid, c.ID, c.ContractID
			if err := s.db.SetAppointmentPayment(ctx, appt.ID, paid, c.ID, c.ContractID); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	return false, nil
}

func paidByOf(c eyelevel.Credit) eyelevel.PaidBy {
	if c.Source == eyelevel.SourceOrganization {
		return eyelevel.PaidOrganization
	}
	return eyelevel.PaidPurchase
}

// clientCosts reports whether a late cancellation or a client's no-show
// of appt uses its credit: always for a package, per contract
// (late_cancel_counts) for an organization.
func (s *Service) clientCosts(ctx context.Context, appt eyelevel.Appointment) (bool, error) {
	switch {
	case appt.CreditID == "":
		return false, nil
	case appt.PaidBy == eyelevel.PaidPurchase:
		return true, nil
	case appt.ContractID == "":
		return false, nil
	}
	k, err := s.db.Contract(ctx, appt.ContractID)
	if err != nil {
		return false, err
	}
	return k.LateCancelCounts, nil
}

// settleCredit gives appt's credit back unless used; call it in the
// action's transaction, once per change of whether the session costs.
func (s *Service) settleCredit(ctx context.Context, appt eyelevel.Appointment, used bool) error {
	if appt.CreditID == "" || used {
		return nil
	}
	return s.db.ReturnCredit(ctx, appt.CreditID, appt.ContractID)
}

// Money formats an amount in minor units for people: "€65", "€12.50",
// "CHF 80".
func Money(currency string, minor int64) string {
	digits, ok := CurrencyDigits(strings.ToUpper(currency))
	if !ok {
		digits = 2
	}
	unit := int64(1)
	for range digits {
		unit *= 10
	}
	n := strconv.FormatInt(minor/unit, 10)
	if frac := minor % unit; frac != 0 {
		n += fmt.Sprintf(".%0*d", digits, frac)
	}
	switch strings.ToUpper(currency) {
	case "EUR":
		return "€" + n
	case "USD":
		return "$" + n
	case "GBP":
		return "£" + n
	}
	return strings.ToUpper(currency) + " " + n
}

// packageSizes lists the sizes on sale: "1, 3, 5".
func packageSizes(sizes []int) string {
	out := make([]string, len(sizes))
	for i, n := range sizes {
		out[i] = strconv.Itoa(n)
	}
	return strings.Join(out, ", ")
}
