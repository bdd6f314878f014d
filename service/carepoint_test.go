package service_test

import (
	"fmt"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

// orgWorld is two organizations, A and B, each with a running contract
// (5 sessions a person, a pool of 100), a manager and a care-point worker;
// A has a second worker.
type orgWorld struct {
	orgA, orgB             eyelevel.Organization
	contractA, contractB   eyelevel.Contract
	orgadminA, orgadminB   eyelevel.Actor
	carepointA, carepointB eyelevel.Actor
	carepointA2            eyelevel.Actor
}

func (e *env) organization(slug string, starts, ends string) (eyelevel.Organization, eyelevel.Contract) {
	e.t.Helper()
	o := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Org " + slug, Slug: slug, CreatedAt: monday}
	if err := e.db.CreateOrganization(e.ctx, o); err != nil {
		e.t.Fatal(err)
	}
	k := eyelevel.Contract{ID: eyelevel.NewID(), OrganizationID: o.ID, Starts: starts, Ends: ends, SessionsPerPerson: 5, Pool: 100, GraceDays: 30, CreatedAt: monday}
	if err := e.db.CreateContract(e.ctx, k); err != nil {
		e.t.Fatal(err)
	}
	k.OrganizationName = o.Name
	return o, k
}

func (e *env) addStaff(org string, role eyelevel.Role, username string) eyelevel.Actor {
	e.t.Helper()
	u, err := e.svc.AddStaff(e.ctx, e.admin, org, service.StaffInput{Username: username, Password: password, DisplayName: "Staff " + username, Role: role})
	if err != nil {
		e.t.Fatalf("add staff %q: %v", username, err)
	}
	return actorOf(u)
}

func (e *env) orgs() orgWorld {
	e.t.Helper()
	var w orgWorld
	w.orgA, w.contractA = e.organization("shelter-a", "2026-01-01", "2026-12-31")
	w.orgB, w.contractB = e.organization("company-b", "2026-01-01", "2026-12-31")
	w.orgadminA = e.addStaff(w.orgA.ID, eyelevel.RoleOrgAdmin, "manager-a")
	w.orgadminB = e.addStaff(w.orgB.ID, eyelevel.RoleOrgAdmin, "manager-b")
	w.carepointA = e.addStaff(w.orgA.ID, eyelevel.RoleCarePoint, "worker-a")
	w.carepointA2 = e.addStaff(w.orgA.ID, eyelevel.RoleCarePoint, "worker-a2")
	w.carepointB = e.addStaff(w.orgB.ID, eyelevel.RoleCarePoint, "worker-b")
	return w
}

func (e *env) registerAt(cp eyelevel.Actor, username string) eyelevel.Actor {
	e.t.Helper()
	u, err := e.svc.RegisterForClient(e.ctx, cp, service.CarePointClientInput{Username: username, Password: password, Language: "fa-AF", TimeZone: "Europe/Berlin", Consent: true, HealthConsent: true})
	if err != nil {
		e.t.Fatalf("register %q at a care point: %v", username, err)
	}
	return actorOf(u)
}

func TestStaffCreationRules(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := e.orgs()
		in := func(username string, role eyelevel.Role) service.StaffInput {
			return service.StaffInput{Username: username, Password: password, DisplayName: "New " + username, Role: role}
		}
		for i, c := range []struct {
			name  string
			actor eyelevel.Actor
			org   string
			role  eyelevel.Role
			want  string
		}{
			{"admin adds a care-point worker", e.admin, w.orgA.ID, eyelevel.RoleCarePoint, ""},
			{"admin adds a manager", e.admin, w.orgB.ID, eyelevel.RoleOrgAdmin, ""},
			{"admin, unknown organization", e.admin, "nope", eyelevel.RoleCarePoint, eyelevel.ENOTFOUND},
			{"admin, role client", e.admin, w.orgA.ID, eyelevel.RoleClient, eyelevel.EINVALID},
			{"admin, role counselor", e.admin, w.orgA.ID, eyelevel.RoleCounselor, eyelevel.EINVALID},
			{"manager adds a worker of their own", w.orgadminA, w.orgA.ID, eyelevel.RoleCarePoint, ""},
			{"manager adds a manager", w.orgadminA, w.orgA.ID, eyelevel.RoleOrgAdmin, eyelevel.EFORBIDDEN},
			{"manager of another organization", w.orgadminB, w.orgA.ID, eyelevel.RoleCarePoint, eyelevel.ENOTFOUND},
			{"care-point worker", w.carepointA, w.orgA.ID, eyelevel.RoleCarePoint, eyelevel.ENOTFOUND},
			{"client", e.client("somebody"), w.orgA.ID, eyelevel.RoleCarePoint, eyelevel.ENOTFOUND},
			{"anonymous", eyelevel.Actor{}, w.orgA.ID, eyelevel.RoleCarePoint, eyelevel.EUNAUTHORIZED},
		} {
			username := "new-staff-" + string(rune('a'+i))
			u, err := e.svc.AddStaff(e.ctx, c.actor, c.org, in(username, c.role))
			if eyelevel.ErrorCode(err) != c.want {
				t.Errorf("%s: error %v, want %q", c.name, err, c.want)
				continue
			}
			_, lookErr := e.db.UserByUsername(e.ctx, username)
			if c.want != "" {
				if eyelevel.ErrorCode(lookErr) != eyelevel.ENOTFOUND {
					t.Errorf("%s: refused, but the account exists (%v)", c.name, lookErr)
				}
				continue
			}
			if org, err := e.db.StaffOrganization(e.ctx, u.ID); err != nil || org != c.org || u.Role != c.role {
				t.Errorf("%s: staff of %q (%v) as %s, want %q as %s", c.name, org, err, u.Role, c.org, c.role)
			}
		}
		// Bad input names the field; a taken username is a conflict.
		for field, bad := range map[string]service.StaffInput{
			"username":     {Username: "x", Password: password, DisplayName: "X", Role: eyelevel.RoleCarePoint},
			"password":     {Username: "short-pw", Password: "short", DisplayName: "X", Role: eyelevel.RoleCarePoint},
			"display_name": {Username: "no-name", Password: password, DisplayName: "   ", Role: eyelevel.RoleCarePoint},
			"role":         {Username: "no-role", Password: password, DisplayName: "X"},
			"timezone":     {Username: "bad-zone", Password: password, DisplayName: "X", Role: eyelevel.RoleCarePoint, TimeZone: "Mars/Base"},
		} {
			_, err := e.svc.AddStaff(e.ctx, e.admin, w.orgA.ID, bad)
			wantField(t, err, field)
		}
		_, err := e.svc.AddStaff(e.ctx, e.admin, w.orgA.ID, in("worker-a", eyelevel.RoleCarePoint))
		wantCode(t, err, eyelevel.ECONFLICT)

		// Listing: admins and the organization's own managers.
		staff, err := e.svc.OrganizationStaff(e.ctx, w.orgadminA, w.orgA.ID)
		if err != nil || len(staff) != 5 { // manager-a, worker-a, worker-a2, and the two added to A above
			t.Fatalf("staff of A: %+v %v", staff, err)
		}
		for _, m := range staff {
			if m.OrganizationID != w.orgA.ID {
				t.Errorf("A's list holds %s of %s", m.Username, m.OrganizationID)
			}
		}
		for _, a := range []eyelevel.Actor{w.orgadminB, w.carepointA, e.client("nosy")} {
			_, err := e.svc.OrganizationStaff(e.ctx, a, w.orgA.ID)
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
	})
}

func TestCarePointRegistration(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := e.orgs()
		in := service.CarePointClientInput{Username: "nargis-3", Password: password, Language: "fa-AF", TimeZone: "Europe/Berlin"}

		// Without consent: refused naming consent, nothing written.
		_, err := e.svc.RegisterForClient(e.ctx, w.carepointA, in)
		wantField(t, err, "consent")
		if _, err := e.db.UserByUsername(e.ctx, in.Username); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Fatalf("account written without consent: %v", err)
		}

		// With consent: the account, the allowance and the recorded consent.
		in.Consent, in.HealthConsent = true, true
		u, err := e.svc.RegisterForClient(e.ctx, w.carepointA, in)
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != eyelevel.RoleClient || u.Language != "fa-AF" {
			t.Fatalf("registered %+v", u)
		}
		credits, err := e.db.ClientCredits(e.ctx, u.ID, e.clock.Now())
		if err != nil || len(credits) != 1 || credits[0].ContractID != w.contractA.ID || credits[0].Usable(e.clock.Now()) != 5 {
			t.Fatalf("credits %+v (%v), want 5 of contract A", credits, err)
		}
		l, err := e.db.CarePointLinkOf(e.ctx, u.ID)
		if err != nil || l.StaffID != w.carepointA.UserID || l.OrganizationID != w.orgA.ID || l.ContractID != w.contractA.ID ||
			l.ConsentVersion != service.ConsentVersion || !l.ConsentAt.Equal(e.clock.Now().Truncate(time.Second)) {
			t.Fatalf("link %+v (%v)", l, err)
		}
		// The client can log in with the password the care point set.
		if _, err := e.svc.SignIn(e.ctx, service.Credentials{Username: in.Username, Password: password, IP: e.ip()}); err != nil {
			t.Fatalf("client login: %v", err)
		}

		// Bad input names its field, nothing written.
		for field, bad := range map[string]service.CarePointClientInput{
			"username": {Username: "x", Password: password, Language: "fa-AF", TimeZone: "UTC", Consent: true, HealthConsent: true},
			"password": {Username: "pw-short", Password: "short", Language: "fa-AF", TimeZone: "UTC", Consent: true, HealthConsent: true},
			"language": {Username: "lang-bad", Password: password, Language: "xx", TimeZone: "UTC", Consent: true, HealthConsent: true},
			"timezone": {Username: "zone-bad", Password: password, Language: "fa-AF", TimeZone: "Mars/Base", Consent: true, HealthConsent: true},
		} {
			_, err := e.svc.RegisterForClient(e.ctx, w.carepointA, bad)
			wantField(t, err, field)
			if _, err := e.db.UserByUsername(e.ctx, bad.Username); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
				t.Errorf("%s: account written", field)
			}
		}
		_, err = e.svc.RegisterForClient(e.ctx, w.carepointB, in)
		wantCode(t, err, eyelevel.ECONFLICT) // username taken

		// An organization without a running contract: 409 expired, nothing written.
		old, _ := e.organization("ended-c", "2025-01-01", "2025-12-31")
		cp := e.addStaff(old.ID, eyelevel.RoleCarePoint, "worker-c")
		in.Username = "late-comer"
		_, err = e.svc.RegisterForClient(e.ctx, cp, in)
		wantKey(t, err, eyelevel.EEXPIRED, "carepoint.err.no_contract")
		if _, err := e.db.UserByUsername(e.ctx, in.Username); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Fatalf("account written without a running contract: %v", err)
		}
		notYet, _ := e.organization("future-d", "2027-01-01", "2027-12-31")
		_, err = e.svc.RegisterForClient(e.ctx, e.addStaff(notYet.ID, eyelevel.RoleCarePoint, "worker-d"), in)
		wantCode(t, err, eyelevel.EEXPIRED)
	})
}

func TestCarePointSeesOnlyItsOwnClients(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := e.orgs()
		counselor := e.counselor("dari-counselor", eyelevel.GenderFemale, []string{"fa-AF*"}, officeHours...)
		mine := e.registerAt(w.carepointA, "client-of-a")
		colleagues := e.registerAt(w.carepointA2, "client-of-a2")
		others := e.registerAt(w.carepointB, "client-of-b")

		// The worker books for their client; the appointment is the client's.
		appt, err := e.svc.Book(e.ctx, w.carepointA, service.BookInput{CounselorID: counselor.UserID, Start: at(1, 10, 0), ClientID: mine.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if appt.ClientID != mine.UserID || appt.BookedBy != w.carepointA.UserID {
			t.Fatalf("booked %+v", appt)
		}
		// Not for a colleague's client, another organization's, or themselves.
		for _, c := range []eyelevel.UserID{colleagues.UserID, others.UserID, w.carepointA.UserID, "nobody"} {
			_, err := e.svc.Book(e.ctx, w.carepointA, service.BookInput{CounselorID: counselor.UserID, Start: at(1, 11, 0), ClientID: c})
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
		_, err = e.svc.Book(e.ctx, w.carepointA, service.BookInput{CounselorID: counselor.UserID, Start: at(1, 11, 0)})
		wantField(t, err, "client_id")
		// A client cannot book for someone else.
		_, err = e.svc.Book(e.ctx, others, service.BookInput{CounselorID: counselor.UserID, Start: at(1, 11, 0), ClientID: mine.UserID})
		wantCode(t, err, eyelevel.ENOTFOUND)

		list, err := e.svc.CarePointClients(e.ctx, w.carepointA)
		if err != nil || len(list) != 1 || list[0].ID != mine.UserID {
			t.Fatalf("worker A's clients %+v (%v), want only %s", list, err, mine.UserID)
		}
		c := list[0]
		if c.Username != "client-of-a" || c.Language != "fa-AF" || len(c.Upcoming) != 1 ||
			!c.Upcoming[0].Start.Equal(at(1, 10, 0)) || c.Upcoming[0].CounselorName != "Counselor dari-counselor" {
			t.Fatalf("worker A sees %+v", c)
		}
		if c.CreditsLeft < 4 || c.CreditsLeft > 5 { // 4 once booking draws the credit (another part), 5 before
			t.Fatalf("credits left %d", c.CreditsLeft)
		}
		for _, cp := range []eyelevel.Actor{w.carepointA2, w.carepointB} {
			list, err := e.svc.CarePointClients(e.ctx, cp)
			if err != nil || len(list) != 1 || list[0].ID == mine.UserID {
				t.Fatalf("%s sees %+v (%v)", cp.UserID, list, err)
			}
			_, err = e.svc.CarePointClientOf(e.ctx, cp, mine.UserID)
			wantCode(t, err, eyelevel.ENOTFOUND)
			_, err = e.svc.AccessSlip(e.ctx, cp, mine.UserID)
			wantCode(t, err, eyelevel.ENOTFOUND)
			_, err = e.svc.Cancel(e.ctx, cp, appt.ID)
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
		slip, err := e.svc.AccessSlip(e.ctx, w.carepointA, mine.UserID)
		if err != nil || slip.Username != "client-of-a" || slip.Language != "fa-AF" || slip.First == nil || !slip.First.Start.Equal(at(1, 10, 0)) || len(slip.Hotlines) == 0 {
			t.Fatalf("slip %+v (%v)", slip, err)
		}
		// The worker cancels for the client.
		if _, err := e.svc.Cancel(e.ctx, w.carepointA, appt.ID); err != nil {
			t.Fatalf("cancel on behalf: %v", err)
		}
	})
}

func TestClientEndsCarePointAccess(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := e.orgs()
		counselor := e.counselor("counselor-one", eyelevel.GenderMale, []string{"fa-AF*"}, officeHours...)
		client := e.registerAt(w.carepointA, "leaving-client")
		appt, err := e.svc.Book(e.ctx, w.carepointA, service.BookInput{CounselorID: counselor.UserID, Start: at(2, 9, 0), ClientID: client.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.MyCarePoint(e.ctx, client); err != nil {
			t.Fatalf("client's care point: %v", err)
		}
		// Only the client ends it.
		for _, a := range []eyelevel.Actor{w.carepointA, w.orgadminA} {
			wantCode(t, e.svc.EndCarePoint(e.ctx, a), eyelevel.ENOTFOUND)
		}
		for _, a := range []eyelevel.Actor{e.admin, counselor} {
			wantCode(t, e.svc.EndCarePoint(e.ctx, a), eyelevel.EFORBIDDEN)
		}
		if err := e.svc.EndCarePoint(e.ctx, client); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.svc.EndCarePoint(e.ctx, client), eyelevel.ENOTFOUND)
		_, err = e.svc.MyCarePoint(e.ctx, client)
		wantCode(t, err, eyelevel.ENOTFOUND)

		// The worker has lost the client; the client keeps everything.
		list, err := e.svc.CarePointClients(e.ctx, w.carepointA)
		if err != nil || len(list) != 0 {
			t.Fatalf("after the end the worker sees %+v (%v)", list, err)
		}
		_, err = e.svc.CarePointClientOf(e.ctx, w.carepointA, client.UserID)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.AccessSlip(e.ctx, w.carepointA, client.UserID)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.Book(e.ctx, w.carepointA, service.BookInput{CounselorID: counselor.UserID, Start: at(2, 11, 0), ClientID: client.UserID})
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.Cancel(e.ctx, w.carepointA, appt.ID)
		wantCode(t, err, eyelevel.ENOTFOUND)
		if got, err := e.svc.Appointment(e.ctx, client, appt.ID); err != nil || got.Status != eyelevel.StatusBooked {
			t.Fatalf("client's appointment after the end: %+v %v", got, err)
		}
		if cs, err := e.db.ClientCredits(e.ctx, client.UserID, e.clock.Now()); err != nil || len(cs) != 1 {
			t.Fatalf("client's credits after the end: %+v %v", cs, err)
		}
	})
}

func TestSharedComputerLogin(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.user(eyelevel.RoleClient, "at-home")
		in, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "at-home", Password: password, IP: e.ip(), Shared: true})
		if err != nil {
			t.Fatal(err)
		}
		if in.Device != "" || !in.Shared || !in.Expires.Equal(monday.Add(30*time.Minute)) {
			t.Fatalf("shared login: device %q shared %v expires %v", in.Device, in.Shared, in.Expires)
		}
		if shared, err := e.svc.SessionShared(e.ctx, in.Token); err != nil || !shared {
			t.Fatalf("session shared = %v (%v)", shared, err)
		}
		e.clock.Advance(31 * time.Minute)
		_, err = e.svc.Authenticate(e.ctx, in.Token, service.SessionWeb)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)

		home, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "at-home", Password: password, IP: e.ip()})
		if err != nil || home.Device == "" || home.Shared || !home.Expires.After(e.clock.Now().Add(time.Hour)) {
			t.Fatalf("ordinary login: %+v %v", home, err)
		}
		if shared, err := e.svc.SessionShared(e.ctx, home.Token); err != nil || shared {
			t.Fatalf("ordinary session shared = %v (%v)", shared, err)
		}
		if shared, err := e.svc.SessionShared(e.ctx, "no such token"); err != nil || shared {
			t.Fatalf("unknown session shared = %v (%v)", shared, err)
		}
	})
}

// TestCarePointClientsBounded: a care point's list holds at most
// store.MaxCarePointClients clients, by username, each with its own
// upcoming sessions and the credits of the contract it was registered under.
func TestCarePointClientsBounded(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := e.orgs()
		counselor := e.counselor("dari-counselor", eyelevel.GenderFemale, []string{"fa-AF*"}, officeHours...)
		first := e.registerAt(w.carepointA, "aaa-first")
		second := e.registerAt(w.carepointA, "aaa-second")
		if _, err := e.svc.Book(e.ctx, w.carepointA, service.BookInput{CounselorID: counselor.UserID, Start: at(1, 10, 0), ClientID: second.UserID}); err != nil {
			t.Fatal(err)
		}
		e.registerAt(w.carepointA2, "aaa-colleagues")
		for i := range store.MaxCarePointClients {
			u := eyelevel.User{ID: eyelevel.UserID(eyelevel.NewID()), Username: fmt.Sprintf("zz-%03d", i), Role: eyelevel.RoleClient,
				PasswordHash: "unused", Language: "de", TimeZone: "UTC", CreatedAt: monday}
			if err := e.db.CreateUser(e.ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := e.db.CreateCarePointLink(e.ctx, store.CarePointLink{ClientID: u.ID, StaffID: w.carepointA.UserID, OrganizationID: w.orgA.ID,
				ContractID: w.contractA.ID, ConsentVersion: service.ConsentVersion, ConsentAt: monday}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := e.svc.CarePointClients(e.ctx, w.carepointA)
		if err != nil || len(list) != store.MaxCarePointClients {
			t.Fatalf("%d clients (%v), want %d", len(list), err, store.MaxCarePointClients)
		}
		a, b, last := list[0], list[1], list[len(list)-1]
		if a.ID != first.UserID || b.ID != second.UserID || last.Username != fmt.Sprintf("zz-%03d", store.MaxCarePointClients-3) {
			t.Fatalf("order: %s %s … %s", a.Username, b.Username, last.Username)
		}
		if len(a.Upcoming) != 0 || a.CreditsLeft != 5 || len(b.Upcoming) != 1 || !b.Upcoming[0].Start.Equal(at(1, 10, 0)) || b.CreditsLeft < 4 || b.CreditsLeft > 5 {
			t.Fatalf("first %+v second %+v", a, b)
		}
		if list[2].CreditsLeft != 0 || len(list[2].Upcoming) != 0 {
			t.Fatalf("a client without credits: %+v", list[2])
		}
	})
}
