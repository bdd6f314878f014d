package web_test

import (
	"net/url"
	"strings"
	"testing"

	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/web"

	"github.com/stripe/stripe-go/v82/webhook"
)

// fuzzEndpoint is a request whose body (or, for a GET, query) the fuzzer
// writes. {x} is counselor X's id, {a} client A's appointment.
type fuzzEndpoint struct {
	who          role
	method, path string
	query        bool // the input is the query string, not the body
	// With {in} in the path, the input goes there (a token or id in a
	// link); a POST then sends a new password as its body.
	seeds []string
}

var fuzzEndpoints = []fuzzEndpoint{
	{anon, "POST", "/api/v1/accounts", false, []string{`{"username":"fuzz-user","password":"correct horse battery","language":"de","time_zone":"Europe/Berlin"}`, `{"username":"","password":""}`}},
	{anon, "POST", "/api/v1/tokens", false, []string{`{"username":"client-a","password":"wrong"}`, `{"username":"client-a","password":"x","device_token":"d1.a.1.b"}`}},
	{counselorX, "PUT", "/api/v1/counselors/{x}/availability", false, []string{`{"weekly":[{"weekday":1,"start":"09:00","end":"17:00"}],"exceptions":[]}`,
		`{"weekly":[{"weekday":9,"start":"24:00","end":"00:00"}],"exceptions":[{"date":"2026-02-30","available":true,"start":"10:00"}]}`}},
	{clientA, "POST", "/api/v1/appointments", false, []string{`{"counselor_id":"{x}","start":"2026-12-03T08:00:00Z"}`, `{"counselor_id":"{x}","start":"2026-12-03T08:00:00"}`}},
	{clientA, "PUT", "/api/v1/appointments/{a}", false, []string{`{"start":"2026-12-04T09:00:00Z"}`, `{"start":"9999-12-31T23:59:59Z"}`}},
	{clientA, "PATCH", "/api/v1/me", false, []string{`{"language":"ar"}`, `{"time_zone":"Mars/Olympus"}`}},
	{clientA, "POST", "/api/v1/conversations/{x}/messages", false, []string{`{"text":"Hallo"}`, `{"text":""}`}},
	{clientA, "POST", "/api/v1/questionnaires/phq9/responses", false, []string{`{"answers":[0,1,2,3,0,1,2,3,0],"occasion":"intake"}`, `{"answers":[9]}`}},
	{clientA, "PUT", "/api/v1/program/steps/1/reflection", false, []string{`{"answers":["a"]}`, `{"text":"x"}`}},
	{counselorX, "POST", "/api/v1/absences", false, []string{`{"from":"2026-12-24","to":"2026-12-26"}`, `{"from":"2026-12-26","to":"2026-12-24"}`}},
	{admin, "POST", "/api/v1/organizations", false, []string{`{"name":"Fuzz e.V.","slug":"fuzz"}`, `{"slug":"A B"}`}},
	{admin, "GET", "/api/v1/reports/impact", true, []string{"from=2026-01-01&to=2026-12-31", "from=9999-12-31&to=0000-01-01T00:00:00%2B01:00", "to=x"}},
	{clientA, "GET", "/api/v1/counselors/{x}/slots", true, []string{"from=2026-12-01T00:00:00Z&to=2026-12-08T00:00:00Z", "from=2026-12-08T00:00:00Z&to=2026-12-01T00:00:00Z", "limit=-1"}},
	{clientA, "GET", "/api/v1/appointments", true, []string{"limit=1", "cursor=MS4xLmE", "limit=1000000&cursor=!"}},
	{counselorX, "GET", "/api/v1/counselors", true, []string{"language=de", "language=&limit=0", "gender=x"}},
	{anon, "GET", "/cancel/{in}", false, []string{"", "0000.1.1764579600.AAAA", "a.b.c.d", "...", strings.Repeat("x", 300)}},
	{anon, "GET", "/calendar/{in}", false, []string{"abc.ics", ".ics", "x"}},
	{anon, "POST", "/api/v1/password-resets/{in}", false, []string{"", "abc", "."}},
	{anon, "POST", "/api/v1/email-verifications/{in}", false, []string{"", "abc"}},
	{clientA, "GET", "/api/v1/appointments/{in}", false, []string{"", "x", "{a}"}},
	{anon, "POST", "/api/v1/webhooks/stripe", false, []string{`{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"id":"cs_1","client_reference_id":"p1","payment_status":"paid"}}}`, `{}`}},
}

const fuzzStripeSecret = "whsec_fuzz"

// FuzzAPIBodies sends fuzzed bodies (and query strings) to a dozen
// endpoints of a small world, as the callers who may use them: no input
// gets a 5xx, and every answer is one openapi.json documents (w.do checks
// both). The Stripe webhook gets each body twice: unsigned, and signed
// with the webhook secret, so the event parsing behind the signature is
// reached too.
func FuzzAPIBodies(f *testing.F) {
	for i, e := range fuzzEndpoints {
		for _, s := range e.seeds {
			f.Add(uint8(i), []byte(s))
		}
		f.Add(uint8(i), []byte(`{"unknown":1}`))
		f.Add(uint8(i), []byte("\x00\xff"))
	}
	w := newWorld(f)
	w.svc = service.New(w.db, service.Config{Password: servicetest.CheapPasswords, Keys: servicetest.Keys(1), SessionsPerDay: -1,
		StripeWebhookSecret: fuzzStripeSecret}, nil, w.clock.Now)
	w.h = web.NewServer(web.Deps{Service: w.svc, Catalog: w.cat})
	f.Fuzz(func(t *testing.T, n uint8, input []byte) {
		e := fuzzEndpoints[int(n)%len(fuzzEndpoints)]
		target := strings.NewReplacer("{x}", string(w.ids[counselorX]), "{a}", string(w.apptA)).Replace(e.path)
		in := strings.NewReplacer("{x}", string(w.ids[counselorX])).Replace(string(input))
		if e.query {
			q, err := url.ParseQuery(in)
			if err != nil {
				return
			}
			w.do(t, e.who, e.method, target+"?"+q.Encode(), nil)
			return
		}
		if strings.Contains(target, "{in}") {
			in = strings.NewReplacer("{a}", string(w.apptA)).Replace(in)
			if in == "." || in == ".." {
				return // the router redirects to the cleaned path
			}
			var body any
			if e.method == "POST" {
				body = `{"password":"correct horse battery staple"}`
			}
			w.do(t, e.who, e.method, strings.Replace(target, "{in}", url.PathEscape(in), 1), body)
			return
		}
		w.do(t, e.who, e.method, target, in)
		if strings.HasSuffix(target, "/stripe") {
			signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(in), Secret: fuzzStripeSecret, Timestamp: w.clock.Now()})
			w.do(t, e.who, e.method, target, in, "Stripe-Signature", signed.Header)
		}
	})
}
