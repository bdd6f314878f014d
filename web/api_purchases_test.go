package web_test

import (
	"bytes"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/web"

	"github.com/stripe/stripe-go/v82/webhook"
)

const (
	carePoint role = "carepoint"
	orgAdmin  role = "orgadmin"
)

const stripeSecret = "whsec_web_test"

// stripeWorld is the fixture world whose service talks to stripe-mock,
// charges 65.00 EUR a session in packages of 1, 3 and 5, and has a
// care-point and an organization-manager account besides.
func stripeWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	api := servicetest.StripeMock(t)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	w.svc = service.New(w.db, service.Config{SecondFactorOptional: true,
		Password:  service.PasswordParams{Memory: 64, Time: 1, Threads: 1},
		StripeKey: "sk_test_web", StripeWebhookSecret: stripeSecret, StripeAPI: api,
	}, log, w.clock.Now)
	w.h = web.NewServer(web.Deps{Service: w.svc, Catalog: w.cat, Log: log, Operator: web.Operator{Name: "Beratungsnetz e.V."}})
	adm, err := w.db.UserByID(w.ctx, w.ids[admin])
	if err != nil {
		t.Fatal(err)
	}
	for who, r := range map[role]eyelevel.Role{carePoint: eyelevel.RoleCarePoint, orgAdmin: eyelevel.RoleOrgAdmin} {
		u := eyelevel.User{ID: eyelevel.UserID(eyelevel.NewID()), Username: string(r) + "-staff", Role: r,
			PasswordHash: adm.PasswordHash, Language: "de", TimeZone: "UTC", CreatedAt: monday}
		if err := w.db.CreateUser(w.ctx, u); err != nil {
			t.Fatal(err)
		}
		w.ids[who], w.names[who] = u.ID, u.Username
		w.tokens[who] = w.login(t, u.Username)
	}
	w.do(t, admin, "PUT", "/api/v1/pricing", map[string]any{"currency": "EUR", "session_price": 6500, "packages": []int{5, 1, 3}}).wantStatus(t, 200)
	return w
}

type createdPurchase struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Sessions    int    `json:"sessions"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	CheckoutURL string `json:"checkout_url"`
}

func (w *world) buy(t *testing.T, who role, n int) createdPurchase {
	t.Helper()
	r := w.do(t, who, "POST", "/api/v1/purchases", map[string]int{"sessions": n})
	r.wantStatus(t, 201)
	var p createdPurchase
	r.decode(t, &p)
	return p
}

// deliver posts a Stripe event about purchase id, signed with secret.
func (w *world) deliver(t *testing.T, eventID, typ, id, secret string) *response {
	t.Helper()
	p, err := w.svc.Purchase(w.ctx, eyelevel.Actor{UserID: w.ids[admin], Role: eyelevel.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": eventID, "object": "event", "type": typ, "api_version": "2019-01-01",
		"data": map[string]any{"object": map[string]any{"id": p.CheckoutSession, "object": "checkout.session",
			"client_reference_id": id, "payment_status": "paid", "payment_intent": "pi_web"}},
	})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: w.clock.Now()})
	return w.do(t, anon, "POST", "/api/v1/webhooks/stripe", body, "Stripe-Signature", sp.Header)
}

type purchaseBody struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	Sessions       int     `json:"sessions"`
	Remaining      int     `json:"remaining"`
	Amount         int64   `json:"amount"`
	RefundedAmount int64   `json:"refunded_amount"`
	Paid           *string `json:"paid"`
}

// TestPurchaseAPIFlow: price, buy, Stripe's webhook (twice), the
// purchase, a refund, and the receipt page.
func TestPurchaseAPIFlow(t *testing.T) {
	w := stripeWorld(t)
	r := w.do(t, anon, "GET", "/api/v1/pricing", nil)
	r.wantStatus(t, 200)
	var pr struct {
		Currency     string `json:"currency"`
		SessionPrice int64  `json:"session_price"`
		Packages     []int  `json:"packages"`
		Charging     bool   `json:"charging"`
	}
	r.decode(t, &pr)
	if pr.Currency != "EUR" || pr.SessionPrice != 6500 || len(pr.Packages) != 3 || pr.Packages[0] != 1 || !pr.Charging {
		t.Fatalf("pricing %+v", pr)
	}

	p := w.buy(t, clientA, 3)
	if p.Status != "open" || p.Sessions != 3 || p.Amount != 19500 || p.Currency != "EUR" || !strings.HasPrefix(p.CheckoutURL, "https://") {
		t.Fatalf("created %+v", p)
	}
	for range 2 {
		w.deliver(t, "evt_web_1", "checkout.session.completed", p.ID, stripeSecret).wantStatus(t, 200)
	}
	var got purchaseBody
	w.do(t, clientA, "GET", "/api/v1/purchases/"+p.ID, nil).decode(t, &got)
	if got.Status != "paid" || got.Remaining != 3 || got.Paid == nil {
		t.Fatalf("after payment %+v", got)
	}
	var list struct {
		Purchases []purchaseBody `json:"purchases"`
	}
	w.do(t, clientA, "GET", "/api/v1/purchases", nil).decode(t, &list)
	if len(list.Purchases) != 1 || list.Purchases[0].ID != p.ID {
		t.Fatalf("own list %+v", list)
	}
	w.do(t, clientB, "GET", "/api/v1/purchases", nil).decode(t, &list)
	if len(list.Purchases) != 0 {
		t.Fatalf("B sees %+v", list)
	}

	// The receipt, printable, in the client's language.
	page := w.do(t, clientA, "GET", "/purchases/"+p.ID, nil)
	page.wantStatus(t, 200)
	for _, want := range []string{"195,00\u00a0EUR", "65,00\u00a0EUR", "Beratungsnetz e.V.", p.ID, "Bezahlt"} {
		if !bytes.Contains(page.Body, []byte(want)) {
			t.Errorf("receipt lacks %q", want)
		}
	}

	r = w.do(t, clientA, "POST", "/api/v1/purchases/"+p.ID+"/refund", nil)
	r.wantStatus(t, 200)
	var rf struct {
		Status         string `json:"status"`
		RefundedAmount int64  `json:"refunded_amount"`
	}
	r.decode(t, &rf)
	if rf.Status != "refunded" || rf.RefundedAmount != 19500 {
		t.Fatalf("refund %+v", rf)
	}
	w.do(t, clientA, "GET", "/api/v1/purchases/"+p.ID, nil).decode(t, &got)
	if got.Remaining != 0 || got.RefundedAmount != 19500 {
		t.Fatalf("after refund %+v", got)
	}
	w.do(t, admin, "POST", "/api/v1/purchases/"+p.ID+"/refund", nil).wantError(t, 409, eyelevel.ECONFLICT)

	// An expired session closes its purchase.
	q := w.buy(t, clientB, 1)
	w.deliver(t, "evt_web_2", "checkout.session.expired", q.ID, stripeSecret).wantStatus(t, 200)
	w.do(t, clientB, "GET", "/api/v1/purchases/"+q.ID, nil).decode(t, &got)
	if got.Status != "expired" {
		t.Fatalf("expired event: %+v", got)
	}
}

// TestPurchaseAuthorization: a purchase exists for its client and admins
// only; prices are set by admins; only clients buy.
func TestPurchaseAuthorization(t *testing.T) {
	w := stripeWorld(t)
	p := w.buy(t, clientA, 1)
	w.deliver(t, "evt_authz", "checkout.session.completed", p.ID, stripeSecret).wantStatus(t, 200)
	everyone := []role{anon, clientA, clientB, counselorX, admin, carePoint, orgAdmin}
	for _, tc := range []struct {
		method, path string
		body         any
		want         map[role]int // missing: 404
	}{
		{"GET", "/api/v1/purchases/" + p.ID, nil, map[role]int{anon: 401, clientA: 200, admin: 200}},
		{"GET", "/api/v1/purchases", nil, map[role]int{anon: 401, clientA: 200, clientB: 200, admin: 200, counselorX: 403, carePoint: 403, orgAdmin: 403}},
		{"PUT", "/api/v1/pricing", map[string]any{"session_price": 6500}, map[role]int{anon: 401, clientA: 403, clientB: 403, counselorX: 403, carePoint: 403, orgAdmin: 403, admin: 200}},
		{"POST", "/api/v1/purchases", map[string]int{"sessions": 9}, map[role]int{anon: 401, clientA: 400, clientB: 400, counselorX: 403, carePoint: 403, orgAdmin: 403, admin: 403}},
		// Last: the owner's refund empties the package.
		{"POST", "/api/v1/purchases/" + p.ID + "/refund", nil, map[role]int{anon: 401, clientA: 200, admin: 409}},
	} {
		for _, who := range everyone {
			want, ok := tc.want[who]
			if !ok {
				want = 404
			}
			if r := w.do(t, who, tc.method, tc.path, tc.body); r.Status != want {
				t.Errorf("%s %s as %s: status %d, want %d: %s", tc.method, tc.path, who, r.Status, want, r.Body)
			}
		}
	}
	// Pages: the receipt, like the API.
	for who, want := range map[role]int{clientA: 200, admin: 200, clientB: 404, counselorX: 404, carePoint: 404, orgAdmin: 404} {
		if r := w.do(t, who, "GET", "/purchases/"+p.ID, nil); r.Status != want {
			t.Errorf("receipt page as %s: %d, want %d", who, r.Status, want)
		}
	}
}

// TestPurchaseBadInput: every new endpoint answers bad input with a 4xx in
// the error shape, and writes nothing.
func TestPurchaseBadInput(t *testing.T) {
	w := stripeWorld(t)
	count := func() int {
		ps, _, err := w.svc.Purchases(w.ctx, eyelevel.Actor{UserID: w.ids[admin], Role: eyelevel.RoleAdmin}, service.Page{Limit: service.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	pricing := func() string {
		p, _ := w.svc.Pricing(w.ctx)
		b, _ := json.Marshal(p)
		return string(b)
	}
	before, prices := count(), pricing()
	big := `{"sessions":` + strings.Repeat(" ", 2<<20) + `1}`
	for _, tc := range []struct {
		who          role
		method, path string
		body         any
		status       int
		code         string
		fields       []string
		header       []string
	}{
		{admin, "PUT", "/api/v1/pricing", `{"currency":"eur","session_price":1,"packages":[1]}`, 400, "invalid", []string{"currency"}, nil},
		{admin, "PUT", "/api/v1/pricing", `{"currency":"EUR","session_price":"1","packages":[1]}`, 400, "invalid", []string{"session_price"}, nil},
		{admin, "PUT", "/api/v1/pricing", `{"currency":"EUR","session_price":-5,"packages":[1]}`, 400, "invalid", []string{"session_price"}, nil},
		{admin, "PUT", "/api/v1/pricing", `{"currency":"EUR","session_price":1000001,"packages":[1]}`, 400, "invalid", []string{"session_price"}, nil},
		{admin, "PUT", "/api/v1/pricing", `{"currency":"EUR","session_price":100,"packages":[1,1]}`, 400, "invalid", []string{"packages"}, nil},
		{admin, "PUT", "/api/v1/pricing", `{"currency":"EUR","session_price":100,"packages":[0]}`, 400, "invalid", []string{"packages"}, nil},
		{admin, "PUT", "/api/v1/pricing", `{"currency":"EUR","session_price":100,"packages":[]}`, 400, "invalid", []string{"packages"}, nil},
		{admin, "PUT", "/api/v1/pricing", `{"currency":"EUR"}`, 400, "invalid", []string{"session_price"}, nil},
		{admin, "PUT", "/api/v1/pricing", `{"session_price":100,"free":true}`, 400, "invalid", nil, nil},
		{admin, "PUT", "/api/v1/pricing", `{"session_price":`, 400, "invalid", nil, nil},
		{admin, "PUT", "/api/v1/pricing", `{"session_price":1}`, 415, web.EMEDIATYPE, nil, []string{"Content-Type", "text/plain"}},
		{clientA, "POST", "/api/v1/purchases", `{"sessions":2}`, 400, "invalid", []string{"sessions"}, nil},
		{clientA, "POST", "/api/v1/purchases", `{"sessions":"3"}`, 400, "invalid", []string{"sessions"}, nil},
		{clientA, "POST", "/api/v1/purchases", `{}`, 400, "invalid", []string{"sessions"}, nil},
		{clientA, "POST", "/api/v1/purchases", `{"sessions":3,"amount":1}`, 400, "invalid", nil, nil},
		{clientA, "POST", "/api/v1/purchases", `[3]`, 400, "invalid", nil, nil},
		{clientA, "POST", "/api/v1/purchases", big, 413, "too_large", nil, nil},
		{clientA, "GET", "/api/v1/purchases?limit=0", nil, 400, "invalid", []string{"limit"}, nil},
		{clientA, "GET", "/api/v1/purchases/nope", nil, 404, "not_found", nil, nil},
		{clientA, "POST", "/api/v1/purchases/nope/refund", nil, 404, "not_found", nil, nil},
		{anon, "POST", "/api/v1/webhooks/stripe", `{"id":"evt_x","type":"checkout.session.completed"}`, 400, "invalid", nil, nil},
		{anon, "POST", "/api/v1/webhooks/stripe", `{"id":"evt_x"}`, 400, "invalid", nil, []string{"Stripe-Signature", "t=1,v1=abc"}},
		{anon, "POST", "/api/v1/webhooks/stripe", strings.Repeat("x", 65<<10), 413, "too_large", nil, nil},
	} {
		r := w.do(t, tc.who, tc.method, tc.path, tc.body, tc.header...)
		r.wantError(t, tc.status, tc.code, tc.fields...)
	}
	// A signature over other bytes, or with another secret.
	p := w.buy(t, clientA, 1)
	before++
	w.deliver(t, "evt_bad", "checkout.session.completed", p.ID, "whsec_wrong").wantError(t, 400, "invalid")
	body := []byte(`not json at all`)
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: stripeSecret, Timestamp: w.clock.Now()}).Header
	w.do(t, anon, "POST", "/api/v1/webhooks/stripe", body, "Stripe-Signature", sig).wantError(t, 400, "invalid")
	stale := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(`{"id":"evt_s","type":"x"}`), Secret: stripeSecret, Timestamp: w.clock.Now().Add(-time.Hour)}).Header
	w.do(t, anon, "POST", "/api/v1/webhooks/stripe", `{"id":"evt_s","type":"x"}`, "Stripe-Signature", stale).wantError(t, 400, "invalid")
	var got purchaseBody
	w.do(t, clientA, "GET", "/api/v1/purchases/"+p.ID, nil).decode(t, &got)
	if got.Status != "open" {
		t.Fatalf("a refused webhook changed the purchase: %+v", got)
	}
	if n := count(); n != before {
		t.Fatalf("refused requests wrote purchases: %d, want %d", n, before)
	}
	if pricing() != prices {
		t.Fatalf("refused requests changed the pricing: %s, want %s", pricing(), prices)
	}
	// Charging off: nothing to buy.
	w.do(t, admin, "PUT", "/api/v1/pricing", map[string]int{"session_price": 0}).wantStatus(t, 200)
	w.do(t, clientA, "POST", "/api/v1/purchases", map[string]int{"sessions": 3}).wantError(t, 409, "conflict")
}

// TestPurchaseWithoutStripe: without a Stripe key, buying answers 503
// unavailable with a message saying so, and webhooks are refused too.
func TestPurchaseWithoutStripe(t *testing.T) {
	w := newWorld(t)
	w.do(t, admin, "PUT", "/api/v1/pricing", map[string]any{"currency": "EUR", "session_price": 6500, "packages": []int{3}}).wantStatus(t, 200)
	e := w.doUnavailable(t, clientA, "POST", "/api/v1/purchases", `{"sessions":3}`)
	if !strings.Contains(e.Message, "Zahlungen sind bei diesem Dienst nicht eingerichtet") {
		t.Fatalf("message %q does not say payments are not set up", e.Message)
	}
	w.raw(t, "", "POST", "/api/v1/webhooks/stripe", `{}`, "Stripe-Signature", "t=1,v1=00", "Content-Type", "application/json").wantError(t, 503, "unavailable")
	// The page says so, and offers no buy button.
	if r := w.do(t, clientA, "GET", "/packages", nil); r.Status != 200 || bytes.Contains(r.Body, []byte(`action="/packages"`)) ||
		!bytes.Contains(r.Body, []byte("Zahlungen sind bei diesem Dienst nicht eingerichtet")) {
		t.Fatalf("packages page without Stripe: %d %s", r.Status, r.Body)
	}
	// A form posted anyway is answered 503, without a 500.
	r := w.raw(t, w.tokens[clientA], "POST", "/packages", "sessions=3", "Content-Type", "application/x-www-form-urlencoded")
	if r.Status != http.StatusServiceUnavailable || !bytes.Contains(r.Body, []byte("Zahlungen sind bei diesem Dienst nicht eingerichtet")) {
		t.Fatalf("buying on the page without Stripe: %d", r.Status)
	}
	if n, _, _ := w.svc.Purchases(w.ctx, eyelevel.Actor{UserID: w.ids[admin], Role: eyelevel.RoleAdmin}, service.Page{}); len(n) != 0 {
		t.Fatalf("purchases written without Stripe: %d", len(n))
	}
}

// raw sends a request that may be answered 5xx on purpose (do counts
// those as crashes); the answer is still checked against openapi.json.
func (w *world) raw(t *testing.T, token, method, target, body string, header ...string) *response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = w.ip() + ":40000"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	r := &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	checkDocumented(t, method, target, r)
	return r
}

// TestPurchasePages: the packages page lists prices; buying there
// redirects to Stripe's page; the admin's price form shows field errors
// and saves.
func TestPurchasePages(t *testing.T) {
	w := stripeWorld(t)
	r := w.do(t, anon, "GET", "/packages", nil)
	r.wantStatus(t, 200)
	if !bytes.Contains(r.Body, []byte("65.00\u00a0EUR")) && !bytes.Contains(r.Body, []byte("65,00\u00a0EUR")) {
		t.Fatalf("packages page lacks the price: %s", r.Body)
	}
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	// Buying lands on our own receipt page (the CSP's form-action 'self'
	// stops a form's redirect to another site in Chromium), which links to
	// Stripe's page.
	r = w.do(t, clientA, "POST", "/packages", "sessions=3", form...)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/purchases/") {
		t.Fatalf("buy on the page: %d to %q", r.Status, loc)
	}
	bought, err := w.svc.Purchase(w.ctx, eyelevel.Actor{UserID: w.ids[clientA], Role: eyelevel.RoleClient}, strings.TrimPrefix(loc, "/purchases/"))
	if err != nil || bought.Sessions != 3 || !strings.HasPrefix(bought.CheckoutURL, "https://") {
		t.Fatalf("bought on the page: %+v %v", bought, err)
	}
	r = w.do(t, clientA, "GET", loc, nil)
	pay := []byte(`id="pay-link" href="` + html.EscapeString(bought.CheckoutURL) + `">Weiter zur Zahlung</a>`)
	if r.Status != 200 || !bytes.Contains(r.Body, pay) {
		t.Fatalf("receipt of an open purchase lacks the pay link %s: %d %s", pay, r.Status, r.Body)
	}
	if r := w.do(t, clientA, "GET", loc+"?checkout=done", nil); bytes.Contains(r.Body, []byte(`id="pay-link"`)) {
		t.Fatalf("receipt back from Stripe still asks to pay")
	}
	if r := w.do(t, clientA, "POST", "/packages", "sessions=4", form...); r.Status != 400 {
		t.Fatalf("buying a size not on offer on the page: %d", r.Status)
	}
	if r := w.do(t, clientA, "GET", "/purchases", nil); r.Status != 200 {
		t.Fatalf("purchases page: %d", r.Status)
	}
	// Refund on the page, after a confirmation.
	p := w.buy(t, clientA, 5)
	w.deliver(t, "evt_page", "checkout.session.completed", p.ID, stripeSecret).wantStatus(t, 200)
	r = w.do(t, clientA, "GET", "/purchases/"+p.ID+"/refund", nil)
	if r.Status != 200 || !bytes.Contains(r.Body, []byte("5 nicht genutzte Sitzungen erstatten: 325,00\u00a0EUR")) {
		t.Fatalf("refund confirmation: %d %s", r.Status, r.Body)
	}
	if r := w.do(t, clientB, "POST", "/purchases/"+p.ID+"/refund", "", form...); r.Status != 404 {
		t.Fatalf("refund of another's purchase on the page: %d", r.Status)
	}
	r = w.do(t, clientA, "POST", "/purchases/"+p.ID+"/refund", "", form...)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/purchases/"+p.ID+"?notice=refunded" {
		t.Fatalf("refund on the page: %d to %q", r.Status, r.Header.Get("Location"))
	}
	if r := w.do(t, clientA, "POST", "/purchases/"+p.ID+"/refund", "", form...); r.Status != 409 {
		t.Fatalf("second refund on the page: %d", r.Status)
	}
	if r := w.do(t, clientA, "GET", "/admin/purchases", nil); r.Status != 404 {
		t.Fatalf("admin purchases as a client: %d", r.Status)
	}
	if r := w.do(t, admin, "GET", "/admin/purchases", nil); r.Status != 200 || !bytes.Contains(r.Body, []byte("/purchases/")) {
		t.Fatalf("admin purchases: %d", r.Status)
	}
	if r := w.do(t, admin, "GET", "/admin/pricing", nil); r.Status != 200 || !bytes.Contains(r.Body, []byte(`value="65.00"`)) {
		t.Fatalf("pricing form: %d", r.Status)
	}
	r = w.do(t, admin, "POST", "/admin/pricing", "currency=EUR&session_price=abc&packages=1,3", form...)
	if r.Status != 400 || !bytes.Contains(r.Body, []byte(`id="session_price-error"`)) {
		t.Fatalf("bad price: %d", r.Status)
	}
	r = w.do(t, admin, "POST", "/admin/pricing", "currency=EUR&session_price=70&packages=1,25", form...)
	if r.Status != 400 || !bytes.Contains(r.Body, []byte(`id="packages-error"`)) {
		t.Fatalf("bad packages: %d", r.Status)
	}
	r = w.do(t, admin, "POST", "/admin/pricing", "currency=CHF&session_price=70,50&packages=1, 2", form...)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save prices: %d %s", r.Status, r.Body)
	}
	if p, _ := w.svc.Pricing(w.ctx); p.Currency != "CHF" || p.SessionPrice != 7050 || len(p.Packages) != 2 {
		t.Fatalf("saved %+v", p)
	}
	if r := w.do(t, clientA, "POST", "/admin/pricing", "currency=EUR&session_price=1&packages=1", form...); r.Status != 403 {
		t.Fatalf("pricing form as a client: %d", r.Status)
	}
}
