package main

import (
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
