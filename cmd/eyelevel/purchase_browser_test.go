package main

import (
	"context"
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"

	"github.com/chromedp/chromedp"
)

// TestBrowserBuyPackage: a client submits the buy form and lands on the
// purchase's receipt page, whose "Continue to payment" link points at
// Stripe's checkout page. (A redirect straight to Stripe after the form
// is stopped by the CSP's form-action 'self' in Chromium.)
func TestBrowserBuyPackage(t *testing.T) {
	ctx := browser(t)
	api := servicetest.StripeMock(t)
	dsn, dir, flags := serverDB(t)
	flags = append(flags, "--stripe-key", "sk_test_browser", "--stripe-webhook-secret", "whsec_browser", "--stripe-api", api)
	base, _ := startServer(t, flags...)
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)

	bg := context.Background()
	db, err := store.Open(bg, dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := service.New(db, service.Config{SecondFactorOptional: true}, nil, nil)
	price := int64(6500)
	if _, err := svc.SetPricing(bg, service.Operator, service.PricingInput{Currency: "EUR", SessionPrice: &price, Packages: []int{3}}); err != nil {
		t.Fatal(err)
	}
	buyer, err := svc.AddUser(bg, eyelevel.RoleClient, "buyer", "buyer password", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RecordConsentFor(bg, service.Operator, buyer.ID); err != nil { // else asked at first login
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}

	do := stepper(t, ctx)
	do("log in",
		chromedp.Navigate(base+"/login?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "buyer"),
		chromedp.SendKeys(chromedp.CSS("#password"), "buyer password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	do("buy three sessions",
		chromedp.Navigate(base+"/packages?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/packages"] button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`form[action="/packages"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#pay-link")),
	)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, base+"/purchases/") {
		t.Fatalf("after buying the browser is at %q (%v), want the receipt", loc, err)
	}
	ps, err := db.PurchasesPage(bg, buyer.ID, store.After{}, 10)
	if err != nil || len(ps) != 1 || ps[0].Sessions != 3 || ps[0].CheckoutURL == "" {
		t.Fatalf("purchases %+v (%v)", ps, err)
	}
	if !strings.HasSuffix(loc, "/purchases/"+ps[0].ID) {
		t.Fatalf("at %q, want the receipt of %s", loc, ps[0].ID)
	}
	attrs, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.CSS("#pay-link")))
	if err != nil || attrs["href"] != ps[0].CheckoutURL {
		t.Fatalf("pay link %v (%v), want %q", attrs, err, ps[0].CheckoutURL)
	}
	if text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#pay-link"))); strings.TrimSpace(text) != cat.T("en", "receipt.pay") {
		t.Fatalf("pay link says %q", text)
	}
}
