package main

import (
	"context"
	"fmt"
	"io"

	"eyelevel/service"
	"eyelevel/store"
)

// secondFactorOptional is copied into service.Config.SecondFactorOptional.
// Only a _test.go file sets it (for the tests of other features, which log
// staff in with a password only); no flag or environment variable does, so
// serve always requires the second factor.
var secondFactorOptional bool

// demoTOTPSecret is the one TOTP secret of every --demo staff account,
// printed at start-up like the demo password: the demo is public anyway,
// and a fixed secret lets a newcomer (and the tests) compute codes.
const demoTOTPSecret = "EYELEVELDEMOTOTPSECRETFORNEWBIES"

// seedDemoSecondFactor enrols the demo staff accounts with demoTOTPSecret
// and says how to get codes.
func seedDemoSecondFactor(ctx context.Context, db *store.DB, svc *service.Service, out io.Writer, staff []string) error {
	for _, name := range staff {
		u, err := db.UserByUsername(ctx, name)
		if err != nil {
			return fmt.Errorf("demo staff %s: %w", name, err)
		}
		if err := svc.SeedSecondFactor(ctx, service.Operator, u.ID, demoTOTPSecret); err != nil {
			return fmt.Errorf("second factor of %s: %w", name, err)
		}
	}
	fmt.Fprintf(out, "\nStaff accounts (everyone but the clients) also ask for a code after the password:\n")
	fmt.Fprintf(out, "add the TOTP secret %s to an authenticator app, or run\n", demoTOTPSecret)
	fmt.Fprintf(out, "  oathtool --totp -b %s\n", demoTOTPSecret)
	fmt.Fprintf(out, "Each code works once; wait for the next one to log in again within 30 seconds.\n")
	return nil
}
