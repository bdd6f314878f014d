package service

import (
	"context"
	"slices"

	"eyelevel"
)

// currencies are the ISO 4217 currencies an operator may charge in, with
// their minor-unit digits: those Stripe Checkout takes in the countries
// eyelevel is run in. JPY has no minor unit.
var currencies = map[string]int{
	"AUD": 2, "CAD": 2, "CHF": 2, "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "JPY": 0,
	"NOK": 2, "NZD": 2, "PLN": 2, "RON": 2, "SEK": 2, "TRY": 2, "UAH": 2, "USD": 2,
}

// CurrencyDigits returns how many minor-unit digits currency has (2 for
// cents), and false for a currency eyelevel does not charge in.
func CurrencyDigits(currency string) (int, bool) {
	d, ok := currencies[currency]
	return d, ok
}

// Currencies lists the currencies an operator may choose, sorted.
func Currencies() []string {
	out := make([]string, 0, len(currencies))
	for c := range currencies {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Limits of the pricing.
const (
	MaxSessionPrice = 1_000_000 // minor units
	MaxPackages     = 10
	MaxPackageSize  = 20
)

// PricingInput is what an admin sets. A nil SessionPrice is missing; an
// empty Currency or nil Packages keep the current ones (so that
// {"session_price":0} switches charging off and nothing else).
type PricingInput struct {
	Currency     string
	SessionPrice *int64
	Packages     []int
}

// Pricing returns what the operator charges; anyone may read it.
func (s *Service) Pricing(ctx context.Context) (eyelevel.Pricing, error) {
	return s.db.Pricing(ctx)
}

// SetPricing sets the currency, the price of one session (minor units,
// 0 to 1,000,000; 0 switches charging off) and the package sizes (1 to 10
// distinct sizes of 1 to 20 sessions, needed while charging). Errors:
// EUNAUTHORIZED, EFORBIDDEN (not an admin), EINVALID.
func (s *Service) SetPricing(ctx context.Context, a eyelevel.Actor, in PricingInput) (eyelevel.Pricing, error) {
	if a.Anonymous() {
		return eyelevel.Pricing{}, unauthorized()
	} else if a.Role != eyelevel.RoleAdmin {
		return eyelevel.Pricing{}, forbidden()
	}
	var out eyelevel.Pricing
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.db.Pricing(ctx)
		if err != nil {
			return err
		}
		p := problems{}
		_, known := currencies[in.Currency]
		p.check(in.Currency == "" || known, "currency", "pricing.err.currency")
		p.check(in.SessionPrice != nil, "session_price", "pricing.err.price")
		p.check(in.SessionPrice == nil || *in.SessionPrice >= 0 && *in.SessionPrice <= MaxSessionPrice, "session_price", "pricing.err.price")
		p.check(len(in.Packages) <= MaxPackages, "packages", "pricing.err.packages")
		seen := map[int]bool{}
		for _, n := range in.Packages {
			p.check(n >= 1 && n <= MaxPackageSize && !seen[n], "packages", "pricing.err.packages")
			seen[n] = true
		}
		if err := p.err(); err != nil {
			return err
		}
		out = eyelevel.Pricing{Currency: in.Currency, SessionPrice: *in.SessionPrice, Packages: slices.Clone(in.Packages)}
		if out.Currency == "" {
			out.Currency = cur.Currency
		}
		if _, ok := currencies[out.Currency]; !ok {
			out.Currency = "EUR"
		}
		if in.Packages == nil {
			out.Packages = cur.Packages
		}
		slices.Sort(out.Packages)
		if out.Charging() && len(out.Packages) == 0 {
			return invalid(map[string]string{"packages": "pricing.err.packages"})
		}
		return s.db.SetPricing(ctx, out, s.now().UTC())
	})
	return out, err
}
