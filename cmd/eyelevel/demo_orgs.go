package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// The demo's paying organization: a welfare organization with shelters,
// its running contract, a care-point worker and a manager.
const (
	demoOrgName   = "Welcome House Shelters"
	demoOrgSlug   = "welcome-house"
	demoCarePoint = "carepoint"
	demoOrgAdmin  = "orgadmin"
	demoCodes     = 6 // printed-style single-use codes left for the tour
)

// demoOrg is what seedDemoOrg created, for the history and the printout.
type demoOrg struct {
	org      eyelevel.Organization
	contract eyelevel.Contract
	codes    []string // unredeemed single-use codes
}

// seedDemoOrg creates the organization with a contract that began six
// months ago and runs six more, issues codes, gives demo-client one of
// them, and adds the care-point worker and the manager. The history's
// clients redeem codes of the same contract (seedDemoHistory).
func seedDemoOrg(ctx context.Context, svc *service.Service, client eyelevel.User) (demoOrg, error) {
	var d demoOrg
	now := svc.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var err error
	if d.org, err = svc.CreateOrganization(ctx, service.Operator, service.OrganizationInput{Name: demoOrgName, Slug: demoOrgSlug}); err != nil {
		return d, fmt.Errorf("demo organization: %w", err)
	}
	d.contract, err = svc.CreateContract(ctx, service.Operator, d.org.ID, service.ContractInput{
		Starts:            first.AddDate(0, -6, 0).Format(time.DateOnly),
		Ends:              first.AddDate(0, 7, -1).Format(time.DateOnly),
		SessionsPerPerson: 5, Pool: 500, GraceDays: 60,
		Goals: "Short-term counseling in their own language for the residents of our shelters within two weeks of asking; " +
			"fewer crises that need emergency services; residents say the sessions helped.",
	})
	if err != nil {
		return d, fmt.Errorf("demo contract: %w", err)
	}
	codes, err := svc.IssueCodes(ctx, service.Operator, d.contract.ID, demoCodes+1, false)
	if err != nil {
		return d, fmt.Errorf("demo codes: %w", err)
	}
	a := eyelevel.Actor{UserID: client.ID, Role: client.Role, Language: client.Language, TimeZone: client.TimeZone}
	if _, err := svc.RedeemCode(ctx, a, codes[0], ""); err != nil {
		return d, fmt.Errorf("demo client's code: %w", err)
	}
	d.codes = codes[1:]
	for _, st := range []service.StaffInput{
		{Username: demoCarePoint, Password: demoPassword, DisplayName: "Care point Welcome House", Role: eyelevel.RoleCarePoint},
		{Username: demoOrgAdmin, Password: demoPassword, DisplayName: "Manager Welcome House", Role: eyelevel.RoleOrgAdmin},
	} {
		if _, err := svc.AddStaff(ctx, service.Operator, d.org.ID, st); err != nil {
			return d, fmt.Errorf("demo staff %s: %w", st.Username, err)
		}
	}
	return d, nil
}

// printDemoOrg tells the newcomer where the organization's parts are.
func printDemoOrg(out io.Writer, url string, d demoOrg) {
	fmt.Fprintf(out, "  %-12s care-point worker of %s (registers and books for clients)\n", demoCarePoint, demoOrgName)
	fmt.Fprintf(out, "  %-12s manager of %s (contracts, codes, reports)\n", demoOrgAdmin, demoOrgName)
	fmt.Fprintf(out, "\n%s pays %d sessions per person (demo-client already holds them).\n", demoOrgName, d.contract.SessionsPerPerson)
	fmt.Fprintf(out, "Its landing page is %s/o/%s; unused access codes:\n", url, d.org.Slug)
	for _, c := range d.codes {
		fmt.Fprintf(out, "  %s   %s/o/%s?code=%s\n", c, url, d.org.Slug, c)
	}
}
