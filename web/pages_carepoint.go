package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// The care point's pages: its clients, registering a client with the
// client's consent, booking for a client (through the ordinary search and
// booking pages, with ?client=), the access slip; a client's page to end
// the care point's access; the organization's staff for its managers.

type carePointData struct {
	Clients        []service.CarePointClient
	Languages      []option
	Zone           zoneData
	ConsentVersion string
	// LateFrom is the start before which cancelling is late (within the
	// notice period): the page says so next to the button.
	LateFrom time.Time
	Hours    int
}

func (v *views) renderCarePoint(w http.ResponseWriter, r *http.Request, p *page, regErr error) {
	cs, err := v.d.Service.CarePointClients(r.Context(), info(r).Actor)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	p.Self = "/carepoint"
	notice := v.d.Service.Config().CancelNotice
	p.Data = carePointData{Clients: cs, Languages: serviceLanguages(), Zone: zoneChoice(p.Form), ConsentVersion: service.ConsentVersion,
		LateFrom: v.d.Service.Now().Add(notice), Hours: int(notice.Hours())}
	v.renderAfter(w, r, "carepoint", p, regErr)
}

func (v *views) carePointPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/carepoint") {
			return
		}
		p := newPage(r, "carepoint.title")
		p.Form.Set("language", info(r).Lang)
		p.Form.Set("timezone", defaultZone)
		v.renderCarePoint(w, r, p, nil)
	})
}

func (v *views) registerForClient() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/carepoint") {
			return
		}
		f := r.PostForm
		in := service.CarePointClientInput{
			Username: f.Get("username"), Password: f.Get("password"), Language: f.Get("language"),
			TimeZone: zoneInput(f), Consent: f.Get("consent") == "yes",
			HealthConsent: f.Get("health_consent") == "yes",
		}
		a, err := v.d.Service.SignUpForClient(r.Context(), info(r).Actor, in)
		if err != nil {
			p := newPage(r, "carepoint.title")
			p.Form = keep(f, "username", "language", "timezone", "timezone_other")
			v.renderCarePoint(w, r, p, err)
			return
		}
		// The slip with the recovery code (shown this once), then on to
		// finding a counselor who speaks the client's language.
		v.slipWithCode(w, r, a)
	})
}

// cancelForClient cancels a session of one of the worker's clients (under
// the client's notice period).
func (v *views) cancelForClient() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/carepoint") {
			return
		}
		if _, err := v.d.Service.Cancel(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id"))); err != nil {
			p := newPage(r, "carepoint.title")
			p.Form.Set("language", info(r).Lang)
			v.renderCarePoint(w, r, p, err)
			return
		}
		http.Redirect(w, r, "/carepoint?notice=cancelled", http.StatusSeeOther)
	})
}

// forClient is the client a care point is booking for on the search and
// booking pages (?client= or the form's client), or "".
func forClient(r *http.Request) eyelevel.UserID {
	if r.Method == http.MethodPost {
		return eyelevel.UserID(r.PostForm.Get("client"))
	}
	return eyelevel.UserID(r.URL.Query().Get("client"))
}

// withClient carries the client a care point books for on to the next
// booking page.
func withClient(u string, client eyelevel.UserID) string {
	if client == "" {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "client=" + url.QueryEscape(string(client))
}

// bookingFor returns the username of the client a care point books for,
// or "" when the actor books for themselves.
func (v *views) bookingFor(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) (string, error) {
	if client == "" {
		return "", nil
	}
	return v.d.Service.CarePointClientName(ctx, a, client)
}

type slipData struct {
	service.Slip
	Site     string
	Hotlines []hotlineView // in the client's language
	// RecoveryCode is shown once, right after registration; Next leads on
	// to booking then.
	RecoveryCode, Next string
}

// slipPage is the access slip of one client, in the client's language,
// made to be printed.
func (v *views) slipPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		slip, err := v.d.Service.AccessSlip(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		v.renderSlip(w, r, slip, "", "")
	})
}

// renderSlip renders slip in the client's language, whatever the page's;
// code and next only right after registration.
func (v *views) renderSlip(w http.ResponseWriter, r *http.Request, slip service.Slip, code, next string) {
	r = v.inClientLanguage(r, slip.Language)
	p := newPage(r, "slip.title")
	p.Data = slipData{Slip: slip, Site: siteOf(r, v.d.TrustProxy), Hotlines: v.hotlines(r), RecoveryCode: code, Next: next}
	v.render(w, r, http.StatusOK, "slip", p)
}

// siteOf is the address people type to reach the service.
func siteOf(r *http.Request, trustProxy bool) string {
	scheme := "http"
	if overHTTPS(r, trustProxy) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type carePointAccessData struct {
	Organization string
}

// carePointAccess shows a client which care point acts for them, and ends
// its access.
func (v *views) carePointAccess() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/carepoint/access") {
			return
		}
		acc, err := v.d.Service.MyCarePoint(r.Context(), info(r).Actor)
		if err != nil && eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "access.title")
		p.Data = carePointAccessData{Organization: acc.Organization}
		v.render(w, r, http.StatusOK, "carepoint_access", p)
	})
}

func (v *views) endCarePointAccess() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/carepoint/access") {
			return
		}
		if err := v.d.Service.EndCarePoint(r.Context(), info(r).Actor); err != nil && eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/carepoint/access?notice=access_ended", http.StatusSeeOther)
	})
}

type staffData struct {
	Organization eyelevel.Organization
	Staff        []service.Staff
	Action       string // where the add form posts
	Roles        []eyelevel.Role
}

// orgOf returns the organization a staff page is about: the path's for
// admins, the manager's own at /org/staff.
func (v *views) orgOf(r *http.Request) (eyelevel.Organization, error) {
	if id := r.PathValue("id"); id != "" {
		return v.d.Service.OrganizationForStaff(r.Context(), info(r).Actor, id)
	}
	return v.d.Service.MyOrganization(r.Context(), info(r).Actor)
}

func (v *views) renderStaff(w http.ResponseWriter, r *http.Request, p *page, addErr error) {
	o, err := v.orgOf(r)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	staff, err := v.d.Service.OrganizationStaff(r.Context(), info(r).Actor, o.ID)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	data := staffData{Organization: o, Staff: staff, Action: "/org/staff", Roles: []eyelevel.Role{eyelevel.RoleCarePoint}}
	if r.PathValue("id") != "" {
		data.Action = "/admin/organizations/" + url.PathEscape(o.ID) + "/staff"
		data.Roles = append(data.Roles, eyelevel.RoleOrgAdmin)
	}
	p.Self = data.Action
	p.Data = data
	v.renderAfter(w, r, "org_staff", p, addErr)
}

func (v *views) staffPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		v.renderStaff(w, r, newPage(r, "staff.title"), nil)
	})
}

func (v *views) addStaff() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		o, err := v.orgOf(r)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		in := service.StaffInput{Username: f.Get("username"), Password: f.Get("password"), DisplayName: f.Get("display_name"), Role: eyelevel.Role(f.Get("role"))}
		if _, err := v.d.Service.AddStaff(r.Context(), info(r).Actor, o.ID, in); err != nil {
			p := newPage(r, "staff.title")
			p.Form = keep(f, "username", "display_name", "role")
			v.renderStaff(w, r, p, err)
			return
		}
		http.Redirect(w, r, r.URL.Path+"?notice=created", http.StatusSeeOther)
	})
}
