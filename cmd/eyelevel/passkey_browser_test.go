package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestBrowserPasskey: a new counselor logs in with the password (a session
// limited to the enrolment), adds a passkey (a CDP virtual authenticator)
// and gets recovery codes, logs out, logs in with password and passkey, and
// reaches the workspace. The server's public URL defaults to
// http://127.0.0.1:PORT, whose relying party is "localhost": the browser
// opens http://localhost:PORT.
func TestBrowserPasskey(t *testing.T) {
	ctx := browser(t)
	// This test needs the real gate: staff without a factor are limited.
	secondFactorOptional = false
	base, _ := startServer(t, "--demo")
	secondFactorOptional = true
	admin := tokenOTP(t, base, demoAdmin, demoPassword, demoOTP(t))
	if st := call(t, "POST", base+"/api/v1/counselors", admin, map[string]any{
		"username": "passkey-counselor", "password": "counselor password", "display_name": "Mina Rahimi",
		"gender": "female", "languages": []map[string]any{{"code": "de"}}, "timezone": "Europe/Berlin",
	}, nil); st != 201 {
		t.Fatalf("create counselor: %d", st)
	}
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)
	do := stepper(t, ctx)

	var authenticator webauthn.AuthenticatorID
	do("add a virtual authenticator",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
				return err
			}
			res, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
				Options: &webauthn.VirtualAuthenticatorOptions{
					Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
					HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
				}})
			authenticator = res.AuthenticatorID
			return err
		}),
	)
	login := func() chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SendKeys(chromedp.CSS("#username"), "passkey-counselor"),
			chromedp.SendKeys(chromedp.CSS("#password"), "counselor password"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		)
	}
	do("log in with the password: the session reaches only the enrolment",
		login(),
		chromedp.WaitVisible(chromedp.CSS("#passkey-add button[type=submit]")),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/settings/second-factor") {
		t.Fatalf("limited session at %s, want the enrolment page", loc)
	}
	do("add a passkey",
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Test laptop"),
		chromedp.Click(chromedp.CSS("#passkey-add button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".recovery-code li")),
	)
	codes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".recovery-code li").length`))
	if err != nil || codes != 10 {
		t.Fatalf("recovery codes shown: %d, %v; want 10", codes, err)
	}
	var creds []*webauthn.Credential
	do("the authenticator holds the credential",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			res, err := cdp.Call(ctx, tg, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: authenticator})
			creds = res.Credentials
			return err
		}),
	)
	if len(creds) != 1 || creds[0].RpID != "localhost" {
		t.Fatalf("virtual authenticator credentials: %+v", creds)
	}

	do("log out and in with password and passkey",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`header a[href="/login"]`)),
		login(),
		chromedp.WaitVisible(chromedp.CSS("#passkey-login button[type=submit]")),
		chromedp.Click(chromedp.CSS("#passkey-login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/workspace") {
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("after the passkey login at %s, want /workspace:\n%s", loc, text)
	}
	do("the workspace opens (not the enrolment)",
		chromedp.Navigate(base+"/workspace"),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/workspace") {
		t.Fatalf("full session redirected to %s", loc)
	}
}
