package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/service"

	qrcode "github.com/skip2/go-qrcode"
)

type orgListData struct {
	Organizations []eyelevel.Organization
	CanCreate     bool
}

// adminOrganizations lists organizations (an orgadmin sees their own)
// with, for admins, the form to create one.
func (v *views) adminOrganizations() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/organizations") {
			return
		}
		v.renderOrgList(w, r, newPage(r, "org.list.title"), nil)
	})
}

func (v *views) renderOrgList(w http.ResponseWriter, r *http.Request, p *page, failed error) {
	os, err := v.d.Service.Organizations(r.Context(), info(r).Actor)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	p.Self = "/admin/organizations"
	p.Data = orgListData{Organizations: os, CanCreate: info(r).Actor.Role == eyelevel.RoleAdmin}
	v.renderAfter(w, r, "org_list", p, failed)
}

func (v *views) createOrganization() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/organizations") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		o, err := v.d.Service.CreateOrganization(r.Context(), info(r).Actor, service.OrganizationInput{Name: f.Get("name"), Slug: strings.TrimSpace(f.Get("slug"))})
		if err != nil {
			if c := eyelevel.ErrorCode(err); c != eyelevel.EINVALID && c != eyelevel.ECONFLICT {
				v.fail(w, r, err)
				return
			}
			p := newPage(r, "org.list.title")
			p.Form = keep(f, "name", "slug")
			v.renderOrgList(w, r, p, err)
			return
		}
		http.Redirect(w, r, "/admin/organizations/"+url.PathEscape(o.ID)+"?notice=created", http.StatusSeeOther)
	})
}

// contractRow is one contract on the organization page.
type contractRow struct {
	eyelevel.Contract
	Status           string // running, ended, upcoming
	Issued, Redeemed int
}

type orgPageData struct {
	Org       eyelevel.Organization
	Contracts []contractRow
	IsAdmin   bool
	// Issue is the contract whose code form failed, for its messages.
	Issue string
}

// organizationPage shows an organization's contracts, the forms to
// record a contract (admins) and to issue codes (admins and the
// organization's managers).
func (v *views) organizationPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		p := newPage(r, "org.page.title")
		p.Form.Set("sessions_per_person", "5")
		p.Form.Set("grace_days", "60")
		p.Form.Set("pool", "0")
		p.Form.Set("late_cancel_counts", "yes")
		v.renderOrgPage(w, r, p, r.PathValue("id"), "", nil)
	})
}

func (v *views) renderOrgPage(w http.ResponseWriter, r *http.Request, p *page, id, issue string, failed error) {
	a := info(r).Actor
	o, err := v.d.Service.Organization(r.Context(), a, id)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	ks, err := v.d.Service.Contracts(r.Context(), a, id)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	now := v.d.Service.Now()
	rows := make([]contractRow, len(ks))
	for i, k := range ks {
		rows[i] = contractRow{Contract: k, Status: contractStatus(k, now)}
		if rows[i].Issued, rows[i].Redeemed, err = v.d.Service.ContractCodes(r.Context(), a, k.ID); err != nil {
			v.fail(w, r, err)
			return
		}
	}
	p.Self = "/admin/organizations/" + url.PathEscape(o.ID)
	p.Data = orgPageData{Org: o, Contracts: rows, IsAdmin: a.Role == eyelevel.RoleAdmin, Issue: issue}
	v.renderAfter(w, r, "org_page", p, failed)
}

func contractStatus(k eyelevel.Contract, now time.Time) string {
	switch {
	case k.Running(now) && k.ClosedAt.IsZero():
		return "running"
	case now.Before(k.StartTime()):
		return "upcoming"
	}
	return "ended"
}

// formInt reads a whole number; anything else becomes -1, which every
// rule refuses, so the field is named in the error.
func formInt(f url.Values, name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
	if err != nil {
		return -1
	}
	return n
}

func (v *views) createContract() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if requireLogin(w, r, "/admin/organizations/"+url.PathEscape(id)) {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		late := f.Get("late_cancel_counts") != ""
		in := service.ContractInput{
			Starts: strings.TrimSpace(f.Get("starts")), Ends: strings.TrimSpace(f.Get("ends")),
			SessionsPerPerson: formInt(f, "sessions_per_person"), Pool: formInt(f, "pool"), GraceDays: formInt(f, "grace_days"),
			LateCancelCounts: &late, Goals: f.Get("goals"),
		}
		if _, err := v.d.Service.CreateContract(r.Context(), info(r).Actor, id, in); err != nil {
			if eyelevel.ErrorCode(err) != eyelevel.EINVALID {
				v.fail(w, r, err)
				return
			}
			p := newPage(r, "org.page.title")
			p.Form = keep(f, "starts", "ends", "sessions_per_person", "pool", "grace_days", "late_cancel_counts", "goals")
			v.renderOrgPage(w, r, p, id, "", err)
			return
		}
		http.Redirect(w, r, "/admin/organizations/"+url.PathEscape(id)+"?notice=created", http.StatusSeeOther)
	})
}

// slip is one printed access code.
type slip struct {
	Code, Link string
	QR         template.HTML
}

type slipsData struct {
	Org      string
	Sessions int
	Shared   bool
	Slips    []slip
	Back     string
}

// issueCodes issues codes and shows them at once as printable slips:
// single-use codes are never stored readable, so this page is the only
// time they are shown.
func (v *views) issueCodes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/organizations") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		a := info(r).Actor
		k, err := v.d.Service.Contract(r.Context(), a, r.PathValue("id"))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		shared := f.Get("shared") != ""
		count := 0
		if !shared {
			count = formInt(f, "count")
		}
		codes, err := v.d.Service.IssueCodes(r.Context(), a, k.ID, count, shared)
		if err != nil {
			if c := eyelevel.ErrorCode(err); c != eyelevel.EINVALID && c != eyelevel.EEXPIRED {
				v.fail(w, r, err)
				return
			}
			p := newPage(r, "org.page.title")
			p.Form = keep(f, "count")
			v.renderOrgPage(w, r, p, k.OrganizationID, k.ID, err)
			return
		}
		o, err := v.d.Service.Organization(r.Context(), a, k.OrganizationID)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		base := "http://"
		if overHTTPS(r, v.d.TrustProxy) {
			base = "https://"
		}
		base += r.Host + "/o/" + url.PathEscape(o.Slug) + "?code="
		d := slipsData{Org: o.Name, Sessions: k.SessionsPerPerson, Shared: shared, Back: "/admin/organizations/" + url.PathEscape(o.ID)}
		for _, c := range codes {
			link := base + url.QueryEscape(c)
			d.Slips = append(d.Slips, slip{Code: c, Link: link, QR: qrSVG(link)})
		}
		p := newPage(r, "slips.title")
		p.Self = d.Back
		p.Data = d
		v.render(w, r, http.StatusOK, "org_slips", p)
	})
}

// qrSVG draws a QR code of text as inline SVG: one path of unit squares,
// no scripts, styles or outside resources, so it passes the CSP and prints
// sharply. Its input is our own link, never markup.
func qrSVG(text string) template.HTML {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return ""
	}
	bm := q.Bitmap() // with the quiet zone around it
	var b strings.Builder
	n := strconv.Itoa(len(bm))
	b.WriteString(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + ` ` + n + `" role="img" aria-hidden="true" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				b.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "h1v1h-1z")
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String())
}

type orgLandingData struct {
	service.Landing
	Code     string
	IsClient bool
	Register string // where to create an account, carrying the code
	Login    string // where to log in, coming back to the code form
}

// orgLanding is an organization's public page /o/{slug}: who pays, what
// a person gets, what it costs them (nothing), and how to start.
func (v *views) orgLanding() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := v.d.Service.OrgLanding(r.Context(), r.PathValue("slug"))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		code := strings.TrimSpace(r.URL.Query().Get("code"))
		if len(code) > 64 {
			code = ""
		}
		next := "/codes"
		if code != "" {
			next += "?code=" + url.QueryEscape(code)
		}
		d := orgLandingData{Landing: l, Code: code, IsClient: info(r).Actor.Role == eyelevel.RoleClient,
			Register: "/register", Login: "/login?next=" + url.QueryEscape(next)}
		if code != "" {
			d.Register += "?code=" + url.QueryEscape(code)
		}
		p := newPage(r, "orglanding.title")
		p.Data = d
		p.Form.Set("code", code)
		v.render(w, r, http.StatusOK, "org_landing", p)
	})
}

type codesData struct {
	Balance service.Balance
	Now     time.Time
}

// codesPage is the client's page to enter a code, with their sessions.
func (v *views) codesPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		p := newPage(r, "codes.title")
		if c := r.URL.Query().Get("code"); len(c) <= 64 {
			p.Form.Set("code", c)
		}
		v.renderCodes(w, r, p, nil)
	})
}

func (v *views) renderCodes(w http.ResponseWriter, r *http.Request, p *page, failed error) {
	b, err := v.d.Service.Credits(r.Context(), info(r).Actor)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	p.Self = "/codes"
	p.Data = codesData{Balance: b, Now: v.d.Service.Now()}
	v.renderAfter(w, r, "codes", p, failed)
}

func (v *views) redeemCode() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/codes") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		code := r.PostForm.Get("code")
		if _, err := v.d.Service.RedeemCode(r.Context(), info(r).Actor, code, info(r).IP); err != nil {
			switch eyelevel.ErrorCode(err) {
			case eyelevel.EINVALID, eyelevel.ENOTFOUND, eyelevel.ECONFLICT, eyelevel.EEXPIRED, eyelevel.ETOOMANY:
			default:
				v.fail(w, r, err)
				return
			}
			p := newPage(r, "codes.title")
			if len(code) <= 64 {
				p.Form.Set("code", code)
			}
			p.Fields["code"] = v.message(r, err)
			v.renderCodes(w, r, p, err)
			return
		}
		http.Redirect(w, r, "/codes?notice=redeemed", http.StatusSeeOther)
	})
}
