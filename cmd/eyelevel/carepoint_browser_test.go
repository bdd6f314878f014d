package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/store"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestBrowserCarePointSharedComputer: a social worker logs in at a care
// point with "shared computer" ticked, registers a client in Dari with the
// client's consent, books a session from the organization's allowance,
// opens the access slip and logs out; then the client logs in in the same
// browser and finds nothing of the worker's session: no cookie of it, no
// staff page, and going back shows no cached page.
func TestBrowserCarePointSharedComputer(t *testing.T) {
	ctx := browser(t)
	dsn, dir, flags := serverDB(t)
	flags = append(flags, "--demo")
	base, _ := startServer(t, flags...)
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)
	seedCarePoint(t, dsn, dir)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	do := stepper(t, ctx)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	cookies := func() []*network.Cookie {
		t.Helper()
		cs, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
			res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
			return res.Cookies, err
		})
		if err != nil {
			t.Fatalf("cookies: %v", err)
		}
		return cs
	}

	// back goes one step back in the history (whether the browser loads
	// the page or restores it) and returns the page's main text.
	yes := true
	back := func() string {
		t.Helper()
		prev, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		// As the back button does: to the previous history entry, without
		// waiting for a load event (a page restored from the back-forward
		// cache fires none).
		err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			h, err := cdp.Call(ctx, tg, page.GetNavigationHistory, cdp.Empty{})
			if err != nil {
				return err
			}
			if h.CurrentIndex < 1 {
				return fmt.Errorf("no history before %s", prev)
			}
			_, err = cdp.Call(ctx, tg, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: h.Entries[h.CurrentIndex-1].ID})
			return err
		}))
		if err != nil {
			t.Fatalf("going back from %s: %v", prev, err)
		}
		// Ask the page itself (not chromedp's idea of its frame, which a
		// page restored from the back-forward cache leaves stale) until
		// the previous page is there.
		expr := fmt.Sprintf("location.href !== %q && document.readyState === 'complete' && document.querySelector('main') ? location.href + '\\n' + document.querySelector('main').innerText : ''", prev)
		for range 200 {
			got, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (string, error) {
				res, err := cdp.Call(ctx, tg, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ReturnByValue: &yes})
				var out string
				if err == nil && res.Result != nil {
					err = json.Unmarshal(res.Result.Value, &out)
				}
				return out, err
			})
			if loc, text, ok := strings.Cut(got, "\n"); err == nil && ok {
				t.Logf("back from %s to %s", prev, loc)
				return text
			}
			select { // the page is loading: look again shortly
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
		t.Fatalf("going back from %s: no page", prev)
		return ""
	}

	do("log in at the care point on a shared computer",
		chromedp.Navigate(base+"/login?lang=de"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "sozialarbeit"),
		chromedp.SendKeys(chromedp.CSS("#password"), "care point password"),
		chromedp.Click(chromedp.CSS("#shared")),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/carepoint/clients"]`)),
	)
	var staffSession string
	for _, c := range cookies() {
		switch c.Name {
		case "__Host-eyelevel-session":
			staffSession = c.Value
			if !c.Session {
				t.Errorf("the shared computer's session cookie expires at %v: want it to end with the browser", c.Expires)
			}
		case "__Host-eyelevel-device":
			t.Errorf("a device cookie was set on a shared computer")
		}
	}
	if staffSession == "" {
		t.Fatal("no session cookie after logging in")
	}

	// The client reads the consent text in Dari: the worker switches the page.
	do("register a client in Dari with consent",
		chromedp.Navigate(base+"/carepoint?lang=fa-AF"),
		chromedp.WaitVisible(chromedp.CSS("#consent")),
	)
	if got := text("#consent-text p"); strings.TrimSpace(got) != cat.T("fa-AF", "carepoint.consent.text") {
		t.Fatalf("consent text %q, want the Dari one", got)
	}
	do("fill in the registration",
		chromedp.SendKeys(chromedp.CSS("#username"), "parwana-7"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long password"),
		chromedp.SetValue(chromedp.CSS("#language"), "fa-AF"),
		chromedp.Click(chromedp.CSS("#consent")),
		chromedp.Click(chromedp.CSS("#health_consent")),
		chromedp.Click(chromedp.CSS(`form[action="/carepoint/clients"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".access-slip .recovery-code")), // the slip with the recovery code, shown once
		chromedp.Click(chromedp.CSS(`.access-slip a[href^="/counselors?"]`)),
		chromedp.WaitVisible(chromedp.CSS(".card a.button")),
	)
	if got := text(".for-client"); !strings.Contains(got, "parwana-7") {
		t.Fatalf("search page does not say whom it books for: %q", got)
	}
	counselor := strings.TrimSpace(text(".card h3"))
	do("book the next free time for the client",
		chromedp.Click(chromedp.CSS(".card a.button")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/book"] button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/book"] input[name="client"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/book"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".carepoint-client")),
	)
	if got := text(".carepoint-client"); !strings.Contains(got, "parwana-7") || !strings.Contains(got, counselor) {
		t.Fatalf("care point's list after booking: %q (want parwana-7 with %s)", got, counselor)
	}
	do("open the access slip",
		chromedp.Click(chromedp.CSS(`.carepoint-client a[href$="/slip"]`)),
		chromedp.WaitVisible(chromedp.CSS(".access-slip")),
	)
	if lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.lang")); lang != "fa-AF" {
		t.Errorf("slip language %q, want fa-AF", lang)
	}
	if got := text(".access-slip"); !strings.Contains(got, "parwana-7") || !strings.Contains(got, counselor) || !strings.Contains(got, "0800 111 0 111") {
		t.Fatalf("slip lacks the username, the first session or the crisis numbers:\n%s", got)
	}
	do("log out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`header a[href="/login"]`)),
	)
	if cs := cookies(); len(cs) != 0 {
		for _, c := range cs {
			t.Errorf("cookie %s left after a shared computer's logout", c.Name)
		}
	}
	// Going back shows no cached page of the session.
	if got := back(); strings.Contains(got, "parwana-7") {
		t.Fatalf("going back shows the worker's page:\n%s", got)
	}

	// The client logs in on the same browser.
	do("the client logs in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "parwana-7"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(base+"/appointments"),
		chromedp.WaitVisible(chromedp.CSS(".carepoint-access")),
	)
	if got := text("main"); !strings.Contains(got, counselor) {
		t.Fatalf("the client's appointments lack the session with %s:\n%s", counselor, got)
	}
	for _, c := range cookies() {
		if c.Value == staffSession {
			t.Fatalf("the worker's session cookie %s is still there", c.Name)
		}
	}
	do("the staff page is not the client's", chromedp.Navigate(base+"/carepoint"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if got := text("main"); strings.Contains(got, cat.T("fa-AF", "carepoint.heading")) || strings.Contains(got, "parwana-7") && strings.Contains(got, cat.T("fa-AF", "carepoint.register.heading")) {
		t.Fatalf("the client reaches the care point's page:\n%s", got)
	}
	// Back through the history, into the worker's pages: the browser
	// asks the server again (pages are no-store) and gets nothing of them.
	for range 6 {
		got := back()
		if strings.Contains(got, cat.T("fa-AF", "carepoint.register.heading")) || strings.Contains(got, cat.T("fa-AF", "slip.heading")) ||
			strings.Contains(got, cat.T("fa-AF", "carepoint.booking_for", "name", "\u2068parwana-7\u2069")) {
			t.Fatalf("going back shows the worker's page:\n%s", got)
		}
	}
}

// seedCarePoint gives the server's database an organization with a
// running contract and a care-point worker (organizations' own pages are
// another part's).
func seedCarePoint(t *testing.T, dsn, dir string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	o := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Unterkunft Ost", Slug: "unterkunft-ost", CreatedAt: now}
	if err := db.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	k := eyelevel.Contract{ID: eyelevel.NewID(), OrganizationID: o.ID, Starts: now.AddDate(0, -1, 0).Format(time.DateOnly),
		Ends: now.AddDate(1, 0, 0).Format(time.DateOnly), SessionsPerPerson: 5, Pool: 500, GraceDays: 60, CreatedAt: now}
	if err := db.CreateContract(ctx, k); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Config{SecondFactorOptional: true}, nil, nil)
	if _, err := svc.AddStaff(ctx, service.Operator, o.ID, service.StaffInput{Username: "sozialarbeit", Password: "care point password", DisplayName: "Amina", Role: eyelevel.RoleCarePoint}); err != nil {
		t.Fatal(err)
	}
}
