package service_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"

	"github.com/stripe/stripe-go/v82/webhook"
)

const webhookSecret = "whsec_test_secret"

// stripeSpy stands between the service and stripe-mock: it records what
// the service sent to Stripe and can make Stripe fail.
type stripeSpy struct {
	mu   sync.Mutex
	reqs []stripeCall
	fail atomic.Bool // answer 400 instead of forwarding
}

type stripeCall struct {
	Path string
	Form url.Values
}

func newStripeSpy(t *testing.T) (*stripeSpy, string) {
	t.Helper()
	mock, err := url.Parse(servicetest.StripeMock(t))
	if err != nil {
		t.Fatal(err)
	}
	spy := &stripeSpy{}
	proxy := httputil.NewSingleHostReverseProxy(mock)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		spy.mu.Lock()
		spy.reqs = append(spy.reqs, stripeCall{Path: r.URL.Path, Form: form})
		spy.mu.Unlock()
		if spy.fail.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"charge_already_refunded","message":"refused by the test"}}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return spy, srv.URL
}

// calls returns the recorded requests to path.
func (s *stripeSpy) calls(path string) []stripeCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []stripeCall
	for _, c := range s.reqs {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// stripeEnv is env with a service that talks to stripe-mock through a spy,
// prices of 65.00 EUR per session in packages of 1, 3 and 5, and a client.
type stripeEnv struct {
	*env
	svc    *service.Service
	spy    *stripeSpy
	client eyelevel.Actor
}

func forEachStripe(t *testing.T, fn func(t *testing.T, e *stripeEnv)) {
	t.Helper()
	forEach(t, func(t *testing.T, e *env) {
		spy, api := newStripeSpy(t)
		svc := servicetest.NewServiceConfig(t, e.db, service.Config{StripeKey: "sk_test_123", StripeWebhookSecret: webhookSecret, StripeAPI: api}, e.clock.Now)
		se := &stripeEnv{env: e, svc: svc, spy: spy, client: e.client("buyer")}
		price := int64(6500)
		if _, err := svc.SetPricing(e.ctx, e.admin, service.PricingInput{Currency: "EUR", SessionPrice: &price, Packages: []int{1, 3, 5}}); err != nil {
			t.Fatal(err)
		}
		fn(t, se)
	})
}

func (e *stripeEnv) buy(n int) service.PurchaseView {
	e.t.Helper()
	p, err := e.svc.BuyPackage(e.ctx, e.client, service.BuyInput{Sessions: n, BaseURL: "https://eyelevel.example"})
	if err != nil {
		e.t.Fatalf("buy %d: %v", n, err)
	}
	return p
}

// event returns a Stripe event about Checkout Session cs of purchase p,
// signed with secret at the service's time.
func (e *stripeEnv) event(id, typ, cs, purchase, paymentStatus, secret string, at time.Time) ([]byte, string) {
	body, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": "2020-08-27", "type": typ, "created": at.Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": cs, "object": "checkout.session", "client_reference_id": purchase, "mode": "payment",
			"payment_status": paymentStatus, "payment_intent": "pi_test_1", "status": "complete",
		}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	return body, sp.Header
}

// pay delivers checkout.session.completed for p.
func (e *stripeEnv) pay(p service.PurchaseView, eventID string) error {
	body, sig := e.event(eventID, "checkout.session.completed", p.CheckoutSession, p.ID, "paid", webhookSecret, e.clock.Now())
	return e.svc.StripeWebhook(e.ctx, body, sig)
}

func (e *stripeEnv) purchaseCredit(id string) eyelevel.Credit {
	e.t.Helper()
	c, err := e.db.PurchaseCredit(e.ctx, id)
	if err != nil {
		e.t.Fatalf("credit of purchase %s: %v", id, err)
	}
	return c
}

func (e *stripeEnv) purchase(id string) service.PurchaseView {
	e.t.Helper()
	p, err := e.svc.Purchase(e.ctx, e.admin, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// TestBuyPackageOpensCheckout: a purchase asks Stripe for a Checkout
// Session of one line item at the session price × the package size, with
// the purchase as client_reference_id, and stores the session.
func TestBuyPackageOpensCheckout(t *testing.T) {
	forEachStripe(t, func(t *testing.T, e *stripeEnv) {
		p := e.buy(3)
		if p.Status != eyelevel.PurchaseOpen || p.Amount != 19500 || p.UnitPrice != 6500 || p.Currency != "EUR" || p.Sessions != 3 {
			t.Fatalf("purchase %+v", p.Purchase)
		}
		if p.CheckoutSession == "" || p.CheckoutURL == "" {
			t.Fatalf("no Checkout Session stored: %+v", p.Purchase)
		}
		stored := e.purchase(p.ID)
		if stored.CheckoutSession != p.CheckoutSession || stored.CheckoutURL != p.CheckoutURL || stored.Amount != 19500 {
			t.Fatalf("stored %+v", stored.Purchase)
		}
		calls := e.spy.calls("/v1/checkout/sessions")
		if len(calls) != 1 {
			t.Fatalf("%d Checkout Session requests, want 1", len(calls))
		}
		f := calls[0].Form
		want := map[string]string{
			"mode": "payment", "client_reference_id": p.ID,
			"line_items[0][quantity]": "3", "line_items[0][price_data][unit_amount]": "6500", "line_items[0][price_data][currency]": "eur",
			"line_items[0][price_data][product_data][name]": "Counseling sessions",
			"success_url": "https://eyelevel.example/purchases/" + p.ID + "?checkout=done",
			"cancel_url":  "https://eyelevel.example/purchases/" + p.ID + "?checkout=cancelled",
		}
		for k, v := range want {
			if got := f.Get(k); got != v {
				t.Errorf("sent %s = %q, want %q", k, got, v)
			}
		}
		if got, _, err := e.svc.Purchases(e.ctx, e.client, service.Page{}); err != nil || len(got) != 1 || got[0].ID != p.ID {
			t.Fatalf("own purchases = %v, %v", got, err)
		}
	})
}

// TestWebhookCreditsOnce: a signed checkout.session.completed marks the
// purchase paid and grants its sessions once, however often Stripe
// delivers it; a bad or stale signature, another session's id or an
// unknown event change nothing.
func TestWebhookCreditsOnce(t *testing.T) {
	forEachStripe(t, func(t *testing.T, e *stripeEnv) {
		p := e.buy(3)
		// Refused: wrong secret, stale timestamp, no signature.
		body, sig := e.event("evt_bad", "checkout.session.completed", p.CheckoutSession, p.ID, "paid", "whsec_other", e.clock.Now())
		wantCode(t, e.svc.StripeWebhook(e.ctx, body, sig), eyelevel.EINVALID)
		body, sig = e.event("evt_old", "checkout.session.completed", p.CheckoutSession, p.ID, "paid", webhookSecret, e.clock.Now().Add(-10*time.Minute))
		wantCode(t, e.svc.StripeWebhook(e.ctx, body, sig), eyelevel.EINVALID)
		wantCode(t, e.svc.StripeWebhook(e.ctx, body, ""), eyelevel.EINVALID)
		tampered := bytes.Replace(body, []byte(`"paid"`), []byte(`"PAID"`), 1)
		_, sig = e.event("evt_old", "checkout.session.completed", p.CheckoutSession, p.ID, "paid", webhookSecret, e.clock.Now())
		wantCode(t, e.svc.StripeWebhook(e.ctx, tampered, sig), eyelevel.EINVALID)
		// Ignored: another Checkout Session naming our purchase, an unknown type.
		body, sig = e.event("evt_other", "checkout.session.completed", "cs_not_ours", p.ID, "paid", webhookSecret, e.clock.Now())
		wantCode(t, e.svc.StripeWebhook(e.ctx, body, sig), "")
		body, sig = e.event("evt_unknown", "customer.created", p.CheckoutSession, p.ID, "paid", webhookSecret, e.clock.Now())
		wantCode(t, e.svc.StripeWebhook(e.ctx, body, sig), "")
		if got := e.purchase(p.ID); got.Status != eyelevel.PurchaseOpen {
			t.Fatalf("status after refused events = %q", got.Status)
		}
		if _, err := e.db.PurchaseCredit(e.ctx, p.ID); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Fatalf("credit before payment: %v", err)
		}

		for range 2 { // Stripe delivers at least once
			if err := e.pay(p, "evt_paid"); err != nil {
				t.Fatal(err)
			}
		}
		// A different event about the same payment grants nothing either.
		if err := e.pay(p, "evt_paid_again"); err != nil {
			t.Fatal(err)
		}
		got := e.purchase(p.ID)
		if got.Status != eyelevel.PurchasePaid || got.PaymentIntent != "pi_test_1" || !got.PaidAt.Equal(monday) {
			t.Fatalf("after payment %+v", got.Purchase)
		}
		cs, err := e.db.ClientCredits(e.ctx, e.client.UserID, e.clock.Now())
		if err != nil || len(cs) != 1 {
			t.Fatalf("credits = %+v, %v", cs, err)
		}
		c := cs[0]
		if c.Source != eyelevel.SourcePurchase || c.PurchaseID != p.ID || c.Granted != 3 || c.Usable(e.clock.Now()) != 3 ||
			!c.ExpiresAt.Equal(monday.Add(365*24*time.Hour)) {
			t.Fatalf("credit %+v", c)
		}
		if got.Remaining != 3 || !got.Expires.Equal(c.ExpiresAt) {
			t.Fatalf("view remaining %d expires %v", got.Remaining, got.Expires)
		}
	})
}

// TestWebhookExpiredCloses: checkout.session.expired closes an open
// purchase, and a later payment event for it is still honoured only if it
// names the same session.
func TestWebhookExpiredCloses(t *testing.T) {
	forEachStripe(t, func(t *testing.T, e *stripeEnv) {
		p := e.buy(1)
		body, sig := e.event("evt_exp", "checkout.session.expired", p.CheckoutSession, p.ID, "unpaid", webhookSecret, e.clock.Now())
		if err := e.svc.StripeWebhook(e.ctx, body, sig); err != nil {
			t.Fatal(err)
		}
		if got := e.purchase(p.ID); got.Status != eyelevel.PurchaseExpired {
			t.Fatalf("status = %q, want expired", got.Status)
		}
		// An unpaid completion (a delayed payment method) credits nothing yet.
		q := e.buy(5)
		body, sig = e.event("evt_unpaid", "checkout.session.completed", q.CheckoutSession, q.ID, "unpaid", webhookSecret, e.clock.Now())
		if err := e.svc.StripeWebhook(e.ctx, body, sig); err != nil {
			t.Fatal(err)
		}
		if got := e.purchase(q.ID); got.Status != eyelevel.PurchaseOpen {
			t.Fatalf("unpaid completion: status %q", got.Status)
		}
	})
}

// TestRefundUnusedSessions: a refund pays back price × sessions neither
// booked nor held, through a Stripe refund on the payment intent, and the
// credit shrinks to what is used; with nothing used the purchase is
// refunded in full; nothing left is a conflict; a refund Stripe refuses
// changes nothing.
func TestRefundUnusedSessions(t *testing.T) {
	forEachStripe(t, func(t *testing.T, e *stripeEnv) {
		p := e.buy(3)
		if err := e.pay(p, "evt_1"); err != nil {
			t.Fatal(err)
		}
		c := e.purchaseCredit(p.ID)
		if ok, err := e.db.DrawCredit(e.ctx, c.ID, ""); !ok || err != nil { // one session booked
			t.Fatalf("draw: %v %v", ok, err)
		}
		// Stripe refuses: the sessions stay.
		e.spy.fail.Store(true)
		_, err := e.svc.RefundPurchase(e.ctx, e.client, p.ID)
		wantCode(t, err, eyelevel.EUNAVAILABLE)
		if got := e.purchaseCredit(p.ID); got.Granted != 3 || got.Used != 1 {
			t.Fatalf("after a failed refund: granted %d used %d", got.Granted, got.Used)
		}
		if got := e.purchase(p.ID); got.Status != eyelevel.PurchasePaid || got.RefundedAmount != 0 {
			t.Fatalf("after a failed refund: %+v", got.Purchase)
		}
		e.spy.fail.Store(false)

		before := len(e.spy.calls("/v1/refunds"))
		v, err := e.svc.RefundPurchase(e.ctx, e.client, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != eyelevel.PurchasePartiallyRefunded || v.RefundedAmount != 2*6500 || v.Remaining != 0 {
			t.Fatalf("after refund: %+v remaining %d", v.Purchase, v.Remaining)
		}
		calls := e.spy.calls("/v1/refunds")
		if len(calls) != before+1 {
			t.Fatalf("%d refund requests, want 1", len(calls)-before)
		}
		if f := calls[len(calls)-1].Form; f.Get("amount") != "13000" || f.Get("payment_intent") != "pi_test_1" {
			t.Fatalf("refund sent %v", f)
		}
		if got := e.purchaseCredit(p.ID); got.Granted != 1 || got.Used != 1 || got.Usable(e.clock.Now()) != 0 {
			t.Fatalf("credit after refund: %+v", got)
		}
		_, err = e.svc.RefundPurchase(e.ctx, e.admin, p.ID)
		wantKey(t, err, eyelevel.ECONFLICT, "purchase.err.nothing_to_refund")

		// Nothing used: refunded in full, no sessions left.
		q := e.buy(5)
		if err := e.pay(q, "evt_2"); err != nil {
			t.Fatal(err)
		}
		v, err = e.svc.RefundPurchase(e.ctx, e.admin, q.ID)
		if err != nil || v.Status != eyelevel.PurchaseRefunded || v.RefundedAmount != 5*6500 {
			t.Fatalf("full refund: %+v, %v", v.Purchase, err)
		}
		if got := e.purchaseCredit(q.ID); got.Granted != 0 {
			t.Fatalf("credit after full refund: %+v", got)
		}
		// Not paid: nothing to refund.
		r := e.buy(1)
		_, err = e.svc.RefundPurchase(e.ctx, e.client, r.ID)
		wantKey(t, err, eyelevel.ECONFLICT, "purchase.err.not_paid")
	})
}

// TestRefundRace: two refunds of the same package at once refund once.
func TestRefundRace(t *testing.T) {
	forEachStripe(t, func(t *testing.T, e *stripeEnv) {
		p := e.buy(5)
		if err := e.pay(p, "evt_1"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = e.svc.RefundPurchase(e.ctx, e.client, p.ID)
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, eyelevel.ECONFLICT)
			}
		}
		if ok != 1 || len(e.spy.calls("/v1/refunds")) != 1 {
			t.Fatalf("%d refunds succeeded (errors %v), %d sent to Stripe; want 1 and 1", ok, errs, len(e.spy.calls("/v1/refunds")))
		}
		if got := e.purchase(p.ID); got.RefundedAmount != 5*6500 {
			t.Fatalf("refunded %d", got.RefundedAmount)
		}
	})
}

// TestPurchaseRules: without a Stripe key purchases are unavailable; when
// charging is off or the size is not a package they are refused, and
// nothing is written; only clients buy; a failing Stripe closes the
// purchase and says so.
func TestPurchaseRules(t *testing.T) {
	forEachStripe(t, func(t *testing.T, e *stripeEnv) {
		noKey := servicetest.NewService(t, e.db, e.clock.Now)
		_, err := noKey.BuyPackage(e.ctx, e.client, service.BuyInput{Sessions: 3, BaseURL: "https://x.example"})
		wantKey(t, err, eyelevel.EUNAVAILABLE, "purchase.err.no_stripe")
		wantCode(t, noKey.StripeWebhook(e.ctx, []byte(`{}`), "t=1,v1=00"), eyelevel.EUNAVAILABLE)

		for _, n := range []int{0, 2, -1, 6, 100} {
			_, err := e.svc.BuyPackage(e.ctx, e.client, service.BuyInput{Sessions: n, BaseURL: "https://x.example"})
			wantField(t, err, "sessions")
		}
		_, err = e.svc.BuyPackage(e.ctx, eyelevel.Actor{}, service.BuyInput{Sessions: 3, BaseURL: "https://x.example"})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		_, err = e.svc.BuyPackage(e.ctx, e.admin, service.BuyInput{Sessions: 3, BaseURL: "https://x.example"})
		wantCode(t, err, eyelevel.EFORBIDDEN)

		zero := int64(0)
		if _, err := e.svc.SetPricing(e.ctx, e.admin, service.PricingInput{SessionPrice: &zero}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.BuyPackage(e.ctx, e.client, service.BuyInput{Sessions: 3, BaseURL: "https://x.example"})
		wantKey(t, err, eyelevel.ECONFLICT, "purchase.err.free")
		if ps, _, _ := e.svc.Purchases(e.ctx, e.admin, service.Page{}); len(ps) != 0 {
			t.Fatalf("refused purchases were written: %+v", ps)
		}

		price := int64(500)
		if _, err := e.svc.SetPricing(e.ctx, e.admin, service.PricingInput{SessionPrice: &price}); err != nil {
			t.Fatal(err)
		}
		e.spy.fail.Store(true)
		_, err = e.svc.BuyPackage(e.ctx, e.client, service.BuyInput{Sessions: 1, BaseURL: "https://x.example"})
		wantKey(t, err, eyelevel.EUNAVAILABLE, "purchase.err.stripe")
		ps, _, _ := e.svc.Purchases(e.ctx, e.client, service.Page{})
		if len(ps) != 1 || ps[0].Status != eyelevel.PurchaseExpired {
			t.Fatalf("after Stripe failed: %+v", ps)
		}
	})
}

// TestPricing: admins set prices within the limits; {"session_price":0}
// switches charging off and keeps the rest; bad input names its field and
// changes nothing; anyone may read the prices.
func TestPricing(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		p, err := e.svc.Pricing(e.ctx)
		if err != nil || p.Charging() || p.Currency != "EUR" {
			t.Fatalf("default pricing %+v, %v", p, err)
		}
		price := int64(6500)
		good := service.PricingInput{Currency: "CHF", SessionPrice: &price, Packages: []int{5, 1, 3}}
		if p, err = e.svc.SetPricing(e.ctx, e.admin, good); err != nil || p.Currency != "CHF" || p.SessionPrice != 6500 || len(p.Packages) != 3 || p.Packages[0] != 1 {
			t.Fatalf("set %+v, %v", p, err)
		}
		_, err = e.svc.SetPricing(e.ctx, e.client("client-c"), good)
		wantCode(t, err, eyelevel.EFORBIDDEN)
		_, err = e.svc.SetPricing(e.ctx, eyelevel.Actor{}, good)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)

		tooMuch, negative := int64(1_000_001), int64(-1)
		for name, tc := range map[string]struct {
			in    service.PricingInput
			field string
		}{
			"currency lower":   {service.PricingInput{Currency: "eur", SessionPrice: &price, Packages: []int{1}}, "currency"},
			"currency unknown": {service.PricingInput{Currency: "XYZ", SessionPrice: &price, Packages: []int{1}}, "currency"},
			"price missing":    {service.PricingInput{Currency: "EUR", Packages: []int{1}}, "session_price"},
			"price too high":   {service.PricingInput{Currency: "EUR", SessionPrice: &tooMuch, Packages: []int{1}}, "session_price"},
			"price negative":   {service.PricingInput{Currency: "EUR", SessionPrice: &negative, Packages: []int{1}}, "session_price"},
			"no packages":      {service.PricingInput{Currency: "EUR", SessionPrice: &price, Packages: []int{}}, "packages"},
			"package zero":     {service.PricingInput{Currency: "EUR", SessionPrice: &price, Packages: []int{0}}, "packages"},
			"package 21":       {service.PricingInput{Currency: "EUR", SessionPrice: &price, Packages: []int{21}}, "packages"},
			"duplicate":        {service.PricingInput{Currency: "EUR", SessionPrice: &price, Packages: []int{3, 3}}, "packages"},
			"eleven":           {service.PricingInput{Currency: "EUR", SessionPrice: &price, Packages: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}, "packages"},
		} {
			_, err := e.svc.SetPricing(e.ctx, e.admin, tc.in)
			if eyelevel.ErrorCode(err) != eyelevel.EINVALID {
				t.Fatalf("%s: %v", name, err)
			}
			wantField(t, err, tc.field)
		}
		if p, _ := e.svc.Pricing(e.ctx); p.Currency != "CHF" || p.SessionPrice != 6500 {
			t.Fatalf("refused input changed the pricing: %+v", p)
		}
		zero := int64(0)
		if p, err = e.svc.SetPricing(e.ctx, e.admin, service.PricingInput{SessionPrice: &zero}); err != nil || p.Charging() || p.Currency != "CHF" || len(p.Packages) != 3 {
			t.Fatalf("switch off: %+v, %v", p, err)
		}
		if p, _ := e.svc.Pricing(e.ctx); p.Charging() || len(p.Packages) != 3 {
			t.Fatalf("stored after switch off: %+v", p)
		}
	})
}

// TestPurchasesPaged: the purchases list is read from the store a page at
// a time, newest first, with each paid purchase's credit — no page
// repeats or skips one, also among purchases made in the same second.
func TestPurchasesPaged(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		cleo, other := e.client("cleo"), e.client("otto")
		t0 := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		buy := func(who eyelevel.Actor, at time.Time, paid bool) string {
			p := eyelevel.Purchase{ID: eyelevel.NewID(), ClientID: who.UserID, Sessions: 2, Amount: 1000, UnitPrice: 500, Currency: "EUR",
				Status: eyelevel.PurchaseOpen, CreatedAt: at}
			if err := e.db.CreatePurchase(e.ctx, p); err != nil {
				t.Fatal(err)
			}
			if !paid {
				return p.ID
			}
			if err := e.db.SetCheckout(e.ctx, p.ID, "cs_"+p.ID, "https://pay.example/"+p.ID); err != nil {
				t.Fatal(err)
			}
			if ok, err := e.db.PayPurchase(e.ctx, p.ID, "cs_"+p.ID, "pi_"+p.ID, at); !ok || err != nil {
				t.Fatalf("pay: %v %v", ok, err)
			}
			c := eyelevel.Credit{ID: eyelevel.NewID(), ClientID: who.UserID, Source: eyelevel.SourcePurchase, PurchaseID: p.ID, Granted: 2, Used: 1,
				ExpiresAt: at.AddDate(2, 0, 0), CreatedAt: at}
			if err := e.db.GrantCredit(e.ctx, c); err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		var want []string // newest first
		for i := range 7 {
			at := t0.Add(time.Duration(min(i, 4)) * time.Hour) // the last three in the same second
			want = append([]string{buy(cleo, at, i%2 == 0)}, want...)
		}
		buy(other, t0, true)
		var got []string
		cursor, pages := "", 0
		for {
			ps, next, err := e.svc.Purchases(e.ctx, cleo, service.Page{Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) > 3 {
				t.Fatalf("page of %d, limit 3", len(ps))
			}
			for _, p := range ps {
				if p.ClientID != cleo.UserID {
					t.Fatalf("another's purchase listed: %+v", p)
				}
				if paid := !p.PaidAt.IsZero(); paid != (p.Remaining == 1) || paid != (p.Unused == 1) {
					t.Fatalf("credit of %s: paid %v remaining %d unused %d", p.ID, paid, p.Remaining, p.Unused)
				}
				got = append(got, p.ID)
			}
			pages++
			if cursor = next; cursor == "" {
				break
			}
		}
		slices.Sort(want[:3]) // same second: by id, descending
		slices.Reverse(want[:3])
		if pages != 3 || !slices.Equal(got, want) {
			t.Fatalf("%d pages %v, want 3 pages %v", pages, got, want)
		}
		if all, _, err := e.svc.Purchases(e.ctx, e.admin, service.Page{}); err != nil || len(all) != 8 {
			t.Fatalf("admin sees %d (%v), want 8", len(all), err)
		}
		_, _, err := e.svc.Purchases(e.ctx, cleo, service.Page{Cursor: "nonsense"})
		wantField(t, err, "cursor")
	})
}
