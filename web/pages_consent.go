package web

import (
	"bytes"
	"context"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"

	"github.com/yuin/goldmark"
)

// The operator's legal texts: DIR/imprint.<lang>.md and DIR/privacy.<lang>.md,
// in the page's language, else German, else English. They are Markdown;
// raw HTML in them is dropped and link targets like javascript: are
// refused (goldmark's defaults), so a file cannot put script on the page.

// LegalKinds are the operator's legal texts, by file name stem.
var LegalKinds = []string{"imprint", "privacy"}

const maxLegalFile = 1 << 20

// legalFile returns the path of the text kind in lang, German or English,
// and the language found; "" when there is none.
func legalFile(dir, kind, lang string) (path, found string) {
	if dir == "" {
		return "", ""
	}
	for _, l := range []string{lang, i18n.Default, "en"} {
		p := filepath.Join(dir, kind+"."+l+".md")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, l
		}
	}
	return "", ""
}

// HasLegalText reports whether dir holds the text kind in German or English,
// or a URL stands in for it; serve warns when not.
func (o Operator) HasLegalText(kind string) bool {
	if (kind == "imprint" && o.ImprintURL != "") || (kind == "privacy" && o.PrivacyURL != "") {
		return true
	}
	p, _ := legalFile(o.LegalDir, kind, i18n.Default)
	return p != ""
}

// withLegalPages is o with the footer links filled in: a URL given by the
// operator wins, else /imprint and /privacy when the text exists.
func (o Operator) withLegalPages() Operator {
	if o.ImprintURL == "" && o.HasLegalText("imprint") {
		o.ImprintURL = "/imprint"
	}
	if o.PrivacyURL == "" && o.HasLegalText("privacy") {
		o.PrivacyURL = "/privacy"
	}
	return o
}

// renderMarkdown renders an operator's text as HTML. goldmark escapes text
// and omits raw HTML unless told otherwise.
func renderMarkdown(src []byte) (template.HTML, error) {
	var buf bytes.Buffer
	if err := goldmark.Convert(src, &buf); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

type legalData struct {
	Heading  string        // catalog key
	Body     template.HTML // rendered Markdown; empty: not published
	Fallback string        // the language shown when not the page's
}

// legalPage serves /imprint or /privacy: the operator's URL when set (a
// redirect), else the Markdown file.
func (v *views) legalPage(kind string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := v.d.Operator
		if u := map[string]string{"imprint": o.ImprintURL, "privacy": o.PrivacyURL}[kind]; u != "" {
			http.Redirect(w, r, u, http.StatusFound)
			return
		}
		p := newPage(r, "legal."+kind+".title")
		d := legalData{Heading: "legal." + kind + ".title"}
		lang := info(r).Lang
		status := http.StatusOK
		if path, found := legalFile(o.LegalDir, kind, lang); path == "" {
			status = http.StatusNotFound
		} else {
			body, err := readLimited(path)
			if err == nil {
				d.Body, err = renderMarkdown(body)
			}
			if err != nil {
				v.d.Log.Error("reading a legal text", "kind", kind, "err", err)
				v.fail(w, r, eyelevel.Errorf(eyelevel.EINTERNAL, "error.internal", "internal error"))
				return
			}
			if found != lang {
				d.Fallback = found
			}
		}
		p.Data = d
		v.render(w, r, status, "legal", p)
	})
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxLegalFile))
}

type consentData struct {
	State service.ConsentState
	Next  string // where to go after agreeing
	Staff bool
}

// consentPage shows the consent text and, when the client must agree
// (again), the form; otherwise what they agreed to and how to withdraw.
func (v *views) consentPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/consent") {
			return
		}
		p := newPage(r, "consent.title")
		v.renderConsent(w, r, p, r.URL.Query().Get("next"), nil)
	})
}

func (v *views) renderConsent(w http.ResponseWriter, r *http.Request, p *page, next string, err error) {
	a := info(r).Actor
	st, serr := v.d.Service.Consent(r.Context(), a)
	if serr != nil {
		v.fail(w, r, serr)
		return
	}
	if !isLocalPath(next) || strings.HasPrefix(next, "/consent") {
		next = ""
	}
	p.Self = "/consent"
	p.Data = consentData{State: st, Next: next, Staff: a.Role != eyelevel.RoleClient}
	v.renderAfter(w, r, "consent", p, err)
}

func (v *views) giveConsent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/consent") {
			return
		}
		f := r.PostForm
		next := f.Get("next")
		var err error
		if f.Get("consent") != "yes" {
			err = eyelevel.Invalid(map[string]string{"consent": "consent.err.required"})
		} else {
			err = v.d.Service.GiveConsent(r.Context(), info(r).Actor, f.Get("version"))
		}
		if err != nil {
			v.renderConsent(w, r, newPage(r, "consent.title"), next, err)
			return
		}
		if !isLocalPath(next) || strings.HasPrefix(next, "/consent") {
			next = homeOf(info(r).Actor.Role, info(r).Lang)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
}

func (v *views) withdrawForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/consent/withdraw") {
			return
		}
		if info(r).Actor.Role != eyelevel.RoleClient {
			v.fail(w, r, eyelevel.ErrNotFound())
			return
		}
		v.render(w, r, http.StatusOK, "consent_withdraw", newPage(r, "consent.withdraw.title"))
	})
}

func (v *views) withdrawConsent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/consent/withdraw") {
			return
		}
		a := info(r).Actor
		if err := v.d.Service.WithdrawConsent(r.Context(), a, r.PostForm.Get("password")); err != nil {
			p := newPage(r, "consent.withdraw.title")
			v.renderAfter(w, r, "consent_withdraw", p, err)
			return
		}
		v.d.Hub.Recheck(a.UserID)
		clearSession(w)
		// The page of someone without an account now.
		ri := *info(r)
		ri.Actor, ri.Token = eyelevel.Actor{Language: ri.Lang}, ""
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, &ri))
		v.render(w, r, http.StatusOK, "consent_withdrawn", newPage(r, "consent.withdrawn.title"))
	})
}

// consentGate sends a client who has not agreed to the current consent
// version to the consent page before anything else (API: 403
// consent_required). What they need to agree, withdraw, read the texts,
// get help, export their data or log out stays open.
func consentGate(next http.Handler, d Deps, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := info(r).Actor
		if a.Role != eyelevel.RoleClient || consentExempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		due, err := d.Service.ConsentDue(r.Context(), a)
		api := strings.HasPrefix(r.URL.Path, "/api/")
		switch {
		case err != nil && api:
			writeError(w, r, d, err)
		case err != nil:
			v.fail(w, r, err)
		case !due:
			next.ServeHTTP(w, r)
		case api:
			writeError(w, r, d, eyelevel.Errorf(ECONSENT, "consent.err.due", "Please agree to the current consent version first: POST /api/v1/me/consent."))
		default:
			target := "/consent"
			if r.Method == http.MethodGet && isLocalPath(r.URL.RequestURI()) {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
		}
	})
}

// consentExempt lists what a client may reach before agreeing again.
func consentExempt(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case p == "/api/v1/me/consent", p == "/consent", p == "/consent/withdraw",
		p == "/imprint", p == "/privacy", p == "/help", p == "/favicon.ico",
		p == "/logout", p == "/logout/everywhere", p == "/export",
		p == "/api/v1/openapi.json", p == "/api/v1/hotlines",
		p == "/api/v1/tokens/current", p == "/api/v1/sessions",
		strings.HasPrefix(p, "/static/"):
		return true
	case p == "/api/v1/me":
		return r.Method == http.MethodGet || r.Method == http.MethodDelete // reading the account; deleting it
	case p == "/api/v1/me/export":
		return r.Method == http.MethodGet
	}
	return false
}
