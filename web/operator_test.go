package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// withOperator is e serving the same service with op as the operator.
func (e *pagesEnv) withOperator(op Operator) *pagesEnv {
	srv := httptest.NewServer(NewServer(Deps{Service: e.svc, Catalog: e.cat, Operator: op}))
	e.t.Cleanup(srv.Close)
	return &pagesEnv{t: e.t, srv: srv, svc: e.svc, cat: e.cat}
}

// TestPagesOperator: every page's footer says who runs the service and
// links the imprint and privacy policy; the landing page says what
// counseling costs and who pays.
func TestPagesOperator(t *testing.T) {
	plain := newPagesEnv(t)
	e := plain.withOperator(Operator{Name: "Beratungsnetz e.V.", ImprintURL: "https://example.org/impressum", PrivacyURL: "/privacy"})
	b := e.browser()
	p := b.get("/")
	mustContain(t, "landing", p, e.de("landing.cost.heading"), e.de("landing.cost.paid_by", "operator", "\u2068Beratungsnetz e.V.\u2069"))
	for _, path := range []string{"/", "/login", "/help", "/counselors"} {
		p := b.get(path)
		mustContain(t, path, p, e.de("footer.operator", "operator", "\u2068Beratungsnetz e.V.\u2069"),
			`<a href="https://example.org/impressum">`+e.de("footer.imprint")+`</a>`,
			`<a href="/privacy">`+e.de("footer.privacy")+`</a>`)
	}

	// Without settings: the cost sentence without a name, no empty links.
	p = plain.browser().get("/")
	mustContain(t, "landing without operator", p, e.de("landing.cost.heading"), e.de("landing.cost.free"))
	for _, not := range []string{e.de("footer.imprint"), e.de("footer.privacy"), `class="operator"`} {
		if strings.Contains(p.body, not) {
			t.Errorf("landing without operator shows %q", not)
		}
	}
	// Only the name: no links.
	p = plain.withOperator(Operator{Name: "X"}).browser().get("/")
	if strings.Contains(p.body, e.de("footer.imprint")) || !strings.Contains(p.body, e.de("footer.operator", "operator", "\u2068X\u2069")) {
		t.Error("operator with a name only: wrong footer")
	}
}

// TestPagesLandingFirstScreen: the language list appears once, and the
// start buttons come right after the lead, before facts and costs, so a
// phone shows them on the first screen.
func TestPagesLandingFirstScreen(t *testing.T) {
	e := newPagesEnv(t)
	p := e.browser().get("/?lang=en")
	if n := strings.Count(p.body, `hreflang="ar"`); n != 1 {
		t.Errorf("the language list appears %d times", n)
	}
	main := p.body[strings.Index(p.body, `<main`):]
	lead, find := strings.Index(main, `class="lead"`), strings.Index(main, `<a class="button" href="/counselors">`)
	facts, cost := strings.Index(main, `class="facts"`), strings.Index(main, `id="cost"`)
	if lead < 0 || find < lead || facts < find || cost < find {
		t.Errorf("landing order: lead %d, find button %d, facts %d, cost %d", lead, find, facts, cost)
	}
	if strings.Contains(main, `hreflang=`) {
		t.Error("the landing page's main part repeats the language list")
	}
}

func TestOperatorCheck(t *testing.T) {
	for _, c := range []struct {
		op Operator
		ok bool
	}{
		{Operator{}, true},
		{Operator{Name: "Beratungsnetz e.V.", ImprintURL: "https://example.org/impressum", PrivacyURL: "/privacy"}, true},
		{Operator{ImprintURL: "http://example.org/i"}, true},
		{Operator{ImprintURL: "javascript:alert(1)"}, false},
		{Operator{PrivacyURL: "//evil.example/p"}, false},
		{Operator{PrivacyURL: "example.org/p"}, false},
		{Operator{ImprintURL: "https://"}, false},
		{Operator{Name: "two\nlines"}, false},
	} {
		if err := c.op.Check(); (err == nil) != c.ok {
			t.Errorf("%+v: err %v, want ok=%v", c.op, err, c.ok)
		}
	}
}
