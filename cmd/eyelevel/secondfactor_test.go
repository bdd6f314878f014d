package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// The tests of other features log staff they create in with a password
// only (serve still seeds the --demo staff enrolled: they use demoOTP).
func init() { secondFactorOptional = true }

// demoOTP returns the current code of the --demo staff accounts.
func demoOTP(tb testing.TB) string {
	tb.Helper()
	code, err := totp.GenerateCode(demoTOTPSecret, time.Now())
	if err != nil {
		tb.Fatalf("demo TOTP code: %v", err)
	}
	return code
}

// TestServeDemoSecondFactor: serve --demo prints the demo staff's TOTP
// secret with an oathtool hint; a demo staff login needs the code, and a
// code works once; demo clients need none.
func TestServeDemoSecondFactor(t *testing.T) {
	base, stdout := startServer(t, "--demo")
	if !strings.Contains(stdout.String(), "oathtool --totp -b "+demoTOTPSecret) {
		t.Errorf("start-up output lacks the TOTP hint:\n%s", stdout)
	}
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if st := call(t, "POST", base+"/api/v1/tokens", "", map[string]string{"username": "leyla", "password": demoPassword}, &e); st != 401 || e.Error.Code != "second_factor_required" {
		t.Errorf("demo counselor without a code: %d %q", st, e.Error.Code)
	}
	code := demoOTP(t)
	var tok struct {
		Token        string `json:"token"`
		SecondFactor string `json:"second_factor"`
	}
	if st := call(t, "POST", base+"/api/v1/tokens", "", map[string]string{"username": demoAdmin, "password": demoPassword, "otp": code}, &tok); st != 201 || tok.SecondFactor != "" {
		t.Fatalf("demo admin with the code: %d %+v", st, tok)
	}
	if st := call(t, "GET", base+"/api/v1/counselors?language=de", tok.Token, nil, nil); st != 200 {
		t.Errorf("the admin's full token: %d", st)
	}
	if st := call(t, "POST", base+"/api/v1/tokens", "", map[string]string{"username": demoAdmin, "password": demoPassword, "otp": code}, nil); st != 401 {
		t.Errorf("the same code again: %d, want 401", st)
	}
	if st := call(t, "POST", base+"/api/v1/tokens", "", map[string]string{"username": demoClient, "password": demoPassword}, nil); st != 201 {
		t.Errorf("demo client: %d", st)
	}
}
