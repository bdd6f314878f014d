package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/buildinfo"
	"eyelevel/i18n"
	"eyelevel/service"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

//go:embed templates/*.html
var templateFS embed.FS

// views renders the server-side pages. Templates are parsed once per UI
// language, with the translation function bound to that language, so that
// templates can say {{t "nav.login"}} and rendering needs no cloning.
type views struct {
	d     Deps
	pages map[string]map[string]*template.Template // language → page → template
}

func newViews(d Deps) *views {
	v := &views{d: d, pages: map[string]map[string]*template.Template{}}
	codes := []string{i18n.Default, i18n.Source}
	for _, l := range d.Catalog.Languages() {
		codes = append(codes, l.Code)
	}
	for _, code := range codes {
		if _, done := v.pages[code]; !done {
			v.pages[code] = parsePages(d.Catalog, code)
		}
	}
	return v
}

// parsePages parses the layout and partials, then each page on a clone of
// them. Templates are embedded, so a parse error is a programming error.
func parsePages(c *i18n.Catalog, lang string) map[string]*template.Template {
	base := template.Must(template.New("base").Funcs(funcs(c, lang)).ParseFS(templateFS, "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, name := range names {
		short := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if strings.HasPrefix(short, "_") {
			continue
		}
		out[short] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, name))
	}
	return out
}

// funcs are the template functions of one language.
func funcs(c *i18n.Catalog, lang string) template.FuncMap {
	np := numberPrinter(lang)
	return template.FuncMap{
		"t":     func(key string, args ...any) string { return c.T(lang, key, args...) },
		"lang":  func() string { return lang },
		"build": buildinfo.Get, // the version and commit, in admins' footer
		"dir":   func() string { return i18n.Dir(lang) },
		"datetime": func(loc *time.Location, t time.Time) string {
			return formatTime(c, lang, t, loc, styleDateTime)
		},
		"date":     func(loc *time.Location, t time.Time) string { return formatTime(c, lang, t, loc, styleDate) },
		"clock":    func(loc *time.Location, t time.Time) string { return formatTime(c, lang, t, loc, styleClock) },
		"langName": func(code string) string { return displayLanguage(c, lang, code) },
		"asset":    assetURL,
		"inc":      func(i int) int { return i + 1 },
		"list5":    func() []int { return []int{1, 2, 3, 4, 5} },
		"pct":      func(f float64) float64 { return f * 100 },
		// num writes a number in the page's language: {{num .Mean 1}} is "4,5" in German.
		"num": func(v any, digits ...int) string { return formatNumber(np, v, digits...) },
		// money writes minor units of a currency: {{money 6500 "EUR"}} is "65,00 EUR" in German.
		"money": func(amount int64, currency string) string { return formatMoney(np, amount, currency) },
		// isolate wraps a name in Unicode bidi isolates (FSI…PDI), so that an
		// Arabic name inside a German sentence keeps the sentence's order.
		"isolate": func(s string) string { return "\u2068" + s + "\u2069" },
		"field": func(prefix, part, value, err, label string) formField {
			return formField{ID: prefix + "." + part, Value: value, Err: err, Label: label}
		},
	}
}

// formField is one input of a generated form row; Label is a catalog key.
type formField struct {
	ID, Value, Err, Label string
}

// page is what every template receives.
type page struct {
	Title    string // catalog key of the <title>
	Role     eyelevel.Role
	Zone     *time.Location
	Switch   []langLink
	Self     string            // this page's URL for the language switcher; empty: the request's
	Notice   string            // catalog key of a success notice
	Message  string            // translated general error
	Fields   map[string]string // translated error per form field
	Form     url.Values        // the user's input, for re-rendering a form
	Data     any               // page-specific
	Operator Operator          // who runs the service, for the footer
	// Status counts unread messages and, for counselors, their clients'
	// open safety alerts: the nav badge and the banner on every page.
	Status service.MessageStatus
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

// notices maps the ?notice= values that pages accept to catalog keys, so
// that a link cannot make a page show arbitrary text.
var notices = map[string]string{
	"booked":       "notice.booked",
	"cancelled":    "notice.cancelled",
	"saved":        "notice.saved",
	"created":      "notice.created",
	"waitlisted":   "notice.waitlisted",
	"alerted":      "notice.alerted",
	"acknowledged": "notice.acknowledged",
	"rated":        "notice.rated",
	"step_done":    "notice.step_done",
	"unlisted":     "notice.unlisted",
	"redeemed":     "notice.redeemed",
	"refunded":     "notice.refunded",
	"registered":   "notice.registered",
	"access_ended": "notice.access_ended",
	// Account deletion (pages_deletion.go).
	"account_deleted":   "erase.done",
	"counselor_deleted": "erase.counselor.done",
}

func newPage(r *http.Request, title string) *page {
	return &page{Title: title, Notice: notices[r.URL.Query().Get("notice")], Form: url.Values{}, Fields: map[string]string{}}
}

// renderAfter renders the page name after an action that may have failed:
// a failure the user can act on is shown on the page with its status,
// anything else gets the error page.
func (v *views) renderAfter(w http.ResponseWriter, r *http.Request, name string, p *page, err error) {
	status := http.StatusOK
	if err != nil {
		if !v.formError(r, p, err) {
			v.fail(w, r, err)
			return
		}
		status = statusOf(err)
	}
	v.render(w, r, status, name, p)
}

// render writes the page name with status.
func (v *views) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	ri := info(r)
	set, ok := v.pages[ri.Lang]
	if !ok {
		set = v.pages[i18n.Default]
	}
	p.Role, p.Zone, p.Operator = ri.Actor.Role, ri.Zone, v.d.Operator.withLegalPages()
	if p.Zone == nil {
		p.Zone = time.UTC
	}
	p.Switch = v.switcher(r, p.Self)
	if !ri.Actor.Anonymous() {
		st, err := v.d.Service.Status(r.Context(), ri.Actor)
		if err != nil {
			v.d.Log.Error("message status", "err", err) // the page still renders
		}
		p.Status = st
	}
	var buf bytes.Buffer
	if err := set[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		v.d.Log.Error("render page", "page", name, "err", err)
		http.Error(w, v.d.Catalog.T(ri.Lang, "error.internal"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// switcher links the current page in every language with a catalog.
func (v *views) switcher(r *http.Request, self string) []langLink {
	if self == "" {
		self = r.URL.Path
		if r.Method == http.MethodGet {
			q := r.URL.Query()
			q.Del("lang")
			q.Del("notice")
			if len(q) > 0 {
				self += "?" + q.Encode()
			}
		}
	}
	if !isLocalPath(self) {
		self = "/"
	}
	sep := "?"
	if strings.Contains(self, "?") {
		sep = "&"
	}
	cur := info(r).Lang
	var out []langLink
	for _, l := range v.d.Catalog.Languages() {
		out = append(out, langLink{Code: l.Code, Name: l.Name, URL: self + sep + "lang=" + url.QueryEscape(l.Code), Current: l.Code == cur})
	}
	return out
}

// errorData is what the error page shows: a heading key and the message.
type errorData struct{ Heading, Text string }

var errorHeadings = map[string]string{
	eyelevel.ENOTFOUND:     "error.heading.not_found",
	eyelevel.EFORBIDDEN:    "error.heading.forbidden",
	eyelevel.EUNAUTHORIZED: "error.heading.forbidden",
}

// fail shows err as a page of its own: anonymous callers of pages that need
// a login are sent to log in, internal errors are logged and shown generically.
func (v *views) fail(w http.ResponseWriter, r *http.Request, err error) {
	if eyelevel.ErrorCode(err) == eyelevel.EUNAUTHORIZED && r.Method == http.MethodGet {
		redirectLogin(w, r, r.URL.RequestURI())
		return
	}
	p := newPage(r, "error.title")
	p.Notice = ""
	if r.Method != http.MethodGet {
		p.Self = "/" // the switcher cannot repeat a POST
	}
	heading, ok := errorHeadings[eyelevel.ErrorCode(err)]
	if !ok {
		heading = "error.heading"
	}
	p.Data = errorData{Heading: heading, Text: v.message(r, err)}
	v.render(w, r, statusOf(err), "error", p)
}

// message translates err for the user; internal errors are logged and get
// a generic text.
func (v *views) message(r *http.Request, err error) string {
	lang := info(r).Lang
	var e *eyelevel.Error
	if !errors.As(err, &e) || e.Code == eyelevel.EINTERNAL {
		v.d.Log.Error("internal error", "method", method(r.Method), "route", routeOf(r), "err", err)
		return v.d.Catalog.T(lang, "error.internal")
	}
	if e.Key == "" {
		return e.Message
	}
	return v.d.Catalog.T(lang, e.Key, e.Args...)
}

// formError puts err on a form page: the general message on top and one
// message per field. It reports false for internal errors, which the
// caller shows with fail instead of the form.
func (v *views) formError(r *http.Request, p *page, err error) bool {
	var e *eyelevel.Error
	if !errors.As(err, &e) || e.Code == eyelevel.EINTERNAL {
		return false
	}
	p.Message = v.message(r, err)
	for f, key := range e.Fields {
		p.Fields[f] = v.d.Catalog.T(info(r).Lang, key, e.Args...)
	}
	return true
}

// parseForm reads a POSTed form of at most maxBody bytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return eyelevel.Errorf(eyelevel.ETOOLARGE, "error.too_large", "The request is too large.")
		}
		return eyelevel.Errorf(eyelevel.EINVALID, "error.bad_form", "The form could not be read.")
	}
	return nil
}

// requireLogin sends anonymous callers to the login page, to come back to
// next afterwards, and reports whether it did. Whether a logged-in actor
// may do something is the service's decision.
func requireLogin(w http.ResponseWriter, r *http.Request, next string) bool {
	if !info(r).Actor.Anonymous() {
		return false
	}
	redirectLogin(w, r, next)
	return true
}

func redirectLogin(w http.ResponseWriter, r *http.Request, next string) {
	target := "/login"
	if isLocalPath(next) {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// isLocalPath reports whether s is a path on this site, so that redirecting
// to it cannot send anyone elsewhere ("//host", "/\host" and schemes are not).
func isLocalPath(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || len(s) > 2000 {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

// setSession stores the session token in the browser. A shared
// computer's session cookie has no expiry: it ends with the browser.
func setSession(w http.ResponseWriter, token string, expires time.Time, shared bool) {
	c := &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	if shared {
		c.Expires = time.Time{}
	}
	http.SetCookie(w, c)
}

// setDevice keeps the device token for a year; it is strict so that no
// other site's request carries it.
func setDevice(w http.ResponseWriter, token string) {
	if token == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: token, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// deviceOf returns the browser's device token, or "".
func deviceOf(r *http.Request) string {
	if c, err := r.Cookie(deviceCookie); err == nil {
		return c.Value
	}
	return ""
}

func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// homeOf is where a role lands after logging in.
func homeOf(role eyelevel.Role, lang string) string {
	switch role {
	case eyelevel.RoleCounselor:
		return "/workspace"
	case eyelevel.RoleAdmin:
		return "/admin/counselors"
	case eyelevel.RoleCarePoint:
		return "/carepoint"
	case eyelevel.RoleOrgAdmin:
		return "/admin/organizations"
	}
	if service.IsUILanguage(lang) {
		return "/counselors?language=" + url.QueryEscape(lang)
	}
	return "/counselors"
}

// option is one choice of a select or checkbox group.
type option struct {
	Code, Name string
}

// serviceLanguages are the languages counseling is offered in, by their own names.
func serviceLanguages() []option {
	out := make([]option, 0, len(service.UILanguages))
	for _, code := range service.UILanguages {
		out = append(out, option{Code: code, Name: languageName(code)})
	}
	return out
}

// displayLanguage names a language for a viewer reading viewerLang: in the
// viewer's language and in its own where the two differ ("Dari — دری"), so
// that both the client and a helper reading along recognize it.
func displayLanguage(c *i18n.Catalog, viewerLang, code string) string {
	own := languageName(code)
	tag, err := language.Parse(code)
	if err != nil {
		return code
	}
	local := c.T(viewerLang, "language."+code)
	if local == "language."+code {
		local = display.Tags(language.Make(viewerLang)).Name(tag)
	}
	if own == code {
		if n := display.Self.Name(tag); n != "" {
			own = n
		}
	}
	switch {
	case local == "" || local == own:
		return own
	case own == code:
		return local
	}
	return local + " — " + own
}

// languageName returns a language's own name, or its code when unknown.
func languageName(code string) string {
	for _, l := range i18n.All {
		if l.Code == code {
			return l.Name
		}
	}
	return code
}

// commonZones are offered in time zone selects: where clients and
// counselors mostly live, roughly west to east. Any other valid IANA name
// may be typed in.
var commonZones = func() []string {
	var out []string
	for _, z := range []string{
		"UTC", "America/New_York", "America/Toronto", "Europe/London", "Europe/Lisbon",
		"Africa/Casablanca", "Africa/Algiers", "Africa/Tunis", "Africa/Lagos",
		"Europe/Madrid", "Europe/Paris", "Europe/Brussels", "Europe/Amsterdam",
		"Europe/Berlin", "Europe/Zurich", "Europe/Vienna", "Europe/Rome", "Europe/Prague",
		"Europe/Warsaw", "Europe/Stockholm", "Europe/Belgrade", "Europe/Athens",
		"Europe/Bucharest", "Europe/Sofia", "Europe/Kyiv", "Europe/Istanbul", "Europe/Minsk",
		"Europe/Moscow", "Africa/Cairo", "Asia/Beirut", "Asia/Damascus", "Asia/Amman",
		"Asia/Jerusalem", "Asia/Baghdad", "Asia/Riyadh", "Africa/Khartoum", "Africa/Asmara",
		"Africa/Addis_Ababa", "Africa/Mogadishu", "Africa/Nairobi", "Asia/Tbilisi",
		"Asia/Yerevan", "Asia/Baku", "Asia/Dubai", "Asia/Tehran", "Asia/Kabul",
		"Asia/Tashkent", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka",
	} {
		if _, ok := service.LoadZone(z); ok {
			out = append(out, z)
		}
	}
	return out
}()

const defaultZone = "Europe/Berlin"

// zoneInput returns the zone a form chose: the typed name if any, else the
// selected one.
func zoneInput(f url.Values) string {
	if other := strings.TrimSpace(f.Get("timezone_other")); other != "" {
		return other
	}
	return f.Get("timezone")
}

// zoneData is what the time zone partial needs.
type zoneData struct {
	Zones    []string
	Selected string
}

func zoneChoice(f url.Values) zoneData {
	sel := f.Get("timezone")
	if sel == "" {
		sel = defaultZone
	}
	return zoneData{Zones: commonZones, Selected: sel}
}
