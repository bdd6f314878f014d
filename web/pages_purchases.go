package web

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"eyelevel"
	"eyelevel/service"

	"golang.org/x/text/message"
)

// formatMoney writes an amount in minor units for readers of the printer's
// language, with the currency's code: "65,00 EUR" in German.
func formatMoney(p *message.Printer, amount int64, currency string) string {
	digits, ok := service.CurrencyDigits(currency)
	if !ok {
		digits = 2
	}
	return formatNumber(p, float64(amount)/math.Pow10(digits), digits) + "\u00a0" + currency
}

type packageOffer struct {
	Sessions int
	Amount   int64
}

type packagesData struct {
	Pricing eyelevel.Pricing
	Offers  []packageOffer
	CanBuy  bool // Stripe is set up
}

// packagesPage shows the price of a session and the packages a client can
// buy. Buying leads to the purchase's receipt, which links to Stripe's
// page: ours load nothing from Stripe.
func (v *views) packagesPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.renderPackages(w, r, http.StatusOK, newPage(r, "packages.title"))
	})
}

func (v *views) renderPackages(w http.ResponseWriter, r *http.Request, status int, p *page) {
	pr, err := v.d.Service.Pricing(r.Context())
	if err != nil {
		v.fail(w, r, err)
		return
	}
	d := packagesData{Pricing: pr, CanBuy: v.d.Service.PaymentsEnabled()}
	if pr.Charging() {
		for _, n := range pr.Packages {
			d.Offers = append(d.Offers, packageOffer{Sessions: n, Amount: pr.SessionPrice * int64(n)})
		}
	}
	p.Self = "/packages"
	p.Data = d
	v.render(w, r, status, "packages", p)
}

func (v *views) buyPackage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/packages") {
			return
		}
		n, err := strconv.Atoi(r.PostFormValue("sessions"))
		if err != nil {
			n = 0
		}
		pv, err := v.d.Service.BuyPackage(r.Context(), info(r).Actor, service.BuyInput{Sessions: n, BaseURL: baseURL(r, v.d)})
		if err != nil {
			p := newPage(r, "packages.title")
			if !v.formError(r, p, err) || eyelevel.ErrorCode(err) == eyelevel.EFORBIDDEN {
				v.fail(w, r, err)
				return
			}
			v.renderPackages(w, r, statusOf(err), p)
			return
		}
		// Our own receipt page, not Stripe's: the CSP's form-action 'self'
		// also governs where a form's redirect may go (Chromium), so a
		// redirect to Stripe would stop here. The receipt links to Stripe.
		http.Redirect(w, r, "/purchases/"+url.PathEscape(pv.ID), http.StatusSeeOther)
	})
}

type purchasesData struct {
	Items []service.PurchaseView
	Admin bool
	Next  string
}

func (v *views) purchasesPage() http.Handler {
	return v.purchaseList("/purchases", "purchases.title", false)
}

func (v *views) adminPurchases() http.Handler {
	return v.purchaseList("/admin/purchases", "admin.purchases.title", true)
}

func (v *views) purchaseList(self, title string, admin bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, self) {
			return
		}
		a := info(r).Actor
		if admin != (a.Role == eyelevel.RoleAdmin) {
			v.fail(w, r, eyelevel.ErrNotFound())
			return
		}
		pg, err := pageOf(r)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		ps, next, err := v.d.Service.Purchases(r.Context(), a, pg)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, title)
		p.Data = purchasesData{Items: ps, Admin: admin, Next: nextURL(r, self, next)}
		v.render(w, r, http.StatusOK, "purchases", p)
	})
}

type receiptData struct {
	P        service.PurchaseView
	Checkout string // "done" or "cancelled" after Stripe's page
	Refund   int64  // what a refund would pay back now
	Confirm  bool   // the refund form asks to confirm
}

func (v *views) receipt(w http.ResponseWriter, r *http.Request, confirm bool, status int, p *page) {
	if requireLogin(w, r, r.URL.RequestURI()) {
		return
	}
	pv, err := v.d.Service.Purchase(r.Context(), info(r).Actor, r.PathValue("id"))
	if err != nil {
		v.fail(w, r, err)
		return
	}
	d := receiptData{P: pv, Confirm: confirm, Refund: pv.UnitPrice * int64(pv.Unused)}
	if c := r.URL.Query().Get("checkout"); c == "done" || c == "cancelled" {
		d.Checkout = c
	}
	if confirm && d.Refund == 0 && p.Message == "" {
		p.Message = v.d.Catalog.T(info(r).Lang, "purchase.err.nothing_to_refund")
	}
	p.Self = "/purchases/" + pv.ID
	if confirm {
		p.Self += "/refund"
	}
	p.Data = d
	v.render(w, r, status, "receipt", p)
}

// receiptPage is a purchase's receipt, made to be printed.
func (v *views) receiptPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.receipt(w, r, false, http.StatusOK, newPage(r, "receipt.title"))
	})
}

// refundForm asks to confirm a refund of the unused sessions.
func (v *views) refundForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.receipt(w, r, true, http.StatusOK, newPage(r, "refund.title"))
	})
}

func (v *views) refund() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/purchases") {
			return
		}
		id := r.PathValue("id")
		if _, err := v.d.Service.RefundPurchase(r.Context(), info(r).Actor, id); err != nil {
			p := newPage(r, "refund.title")
			if !v.formError(r, p, err) || eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
				v.fail(w, r, err)
				return
			}
			v.receipt(w, r, true, statusOf(err), p)
			return
		}
		http.Redirect(w, r, "/purchases/"+id+"?notice=refunded", http.StatusSeeOther)
	})
}

type pricingData struct {
	Currencies []string
}

func (v *views) renderPricing(w http.ResponseWriter, r *http.Request, status int, p *page) {
	p.Self = "/admin/pricing"
	p.Data = pricingData{Currencies: service.Currencies()}
	v.render(w, r, status, "admin_pricing", p)
}

// pricingForm lets an admin set the currency, the price of a session (in
// major units, "65.00") and the package sizes ("1, 3, 5").
func (v *views) pricingForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/pricing") {
			return
		}
		if info(r).Actor.Role != eyelevel.RoleAdmin {
			v.fail(w, r, eyelevel.ErrNotFound())
			return
		}
		pr, err := v.d.Service.Pricing(r.Context())
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "admin.pricing.title")
		digits, _ := service.CurrencyDigits(pr.Currency)
		p.Form.Set("currency", pr.Currency)
		p.Form.Set("session_price", strconv.FormatFloat(float64(pr.SessionPrice)/math.Pow10(digits), 'f', digits, 64))
		sizes := make([]string, len(pr.Packages))
		for i, n := range pr.Packages {
			sizes[i] = strconv.Itoa(n)
		}
		p.Form.Set("packages", strings.Join(sizes, ", "))
		v.renderPricing(w, r, http.StatusOK, p)
	})
}

func (v *views) savePricing() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/pricing") {
			return
		}
		f := r.PostForm
		in := service.PricingInput{Currency: f.Get("currency"), Packages: []int{}}
		fields := map[string]string{}
		if price, ok := parseMinor(f.Get("session_price"), in.Currency); ok {
			in.SessionPrice = &price
		} else {
			fields["session_price"] = "pricing.err.price"
		}
		for s := range strings.SplitSeq(f.Get("packages"), ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				fields["packages"] = "pricing.err.packages"
				break
			}
			in.Packages = append(in.Packages, n)
		}
		var err error
		if len(fields) > 0 {
			err = eyelevel.Invalid(fields)
		} else {
			_, err = v.d.Service.SetPricing(r.Context(), info(r).Actor, in)
		}
		if err != nil {
			p := newPage(r, "admin.pricing.title")
			if !v.formError(r, p, err) || eyelevel.ErrorCode(err) != eyelevel.EINVALID {
				v.fail(w, r, err)
				return
			}
			p.Form = keep(f, "currency", "session_price", "packages")
			v.renderPricing(w, r, statusOf(err), p)
			return
		}
		http.Redirect(w, r, "/admin/pricing?notice=saved", http.StatusSeeOther)
	})
}

// parseMinor reads a price in major units ("65", "65.00", "65,5") as
// minor units of currency.
func parseMinor(s, currency string) (int64, bool) {
	digits, ok := service.CurrencyDigits(currency)
	if !ok {
		digits = 2
	}
	s = strings.TrimSpace(strings.Replace(s, ",", ".", 1))
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > digits || len(whole) > 9 || strings.ContainsAny(s, "+-") {
		return 0, false
	}
	frac += strings.Repeat("0", digits-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, false
	}
	var m int64
	if digits > 0 {
		if m, err = strconv.ParseInt(frac, 10, 64); err != nil || m < 0 {
			return 0, false
		}
	}
	return w*int64(math.Pow10(digits)) + m, true
}
