package web_test

import (
	"strings"
	"testing"
	"time"

	"eyelevel"
)

// runCareInput is runInput with the care program's data in the snapshot:
// every case must be refused as stated and write nothing.
func runCareInput(t *testing.T, w *careWorld, cases []inputCase) {
	t.Helper()
	runInputSnapshot(t, w.world, w.careSnapshot, cases)
}

func TestInputResponse(t *testing.T) {
	w := newCareWorld(t)
	path := "/api/v1/questionnaires/phq9/responses"
	res := func(name string, body any, fields ...string) inputCase {
		return inputCase{name: name, who: clientA, method: "POST", path: path, body: body, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	wrongType := func(name, answers, field string) inputCase {
		c := res(name, `{"answers":`+answers+`}`, field)
		c.key = "error.wrong_type"
		return c
	}
	cases := syntaxCases(clientA, "POST", path, `{"answers":[0,0,0,0,0,0,0,0,0]}`, "answers")
	cases = append(cases,
		res("empty object", `{}`, "answers"),
		res("answers null", `{"answers":null}`, "answers"),
		res("no answers", `{"answers":[]}`, "answers"),
		res("8 answers", `{"answers":[0,0,0,0,0,0,0,0]}`, "answers"),
		res("10 answers", `{"answers":[0,0,0,0,0,0,0,0,0,0]}`, "answers"),
		res("answer 4", `{"answers":[4,0,0,0,0,0,0,0,0]}`, "answers.1"),
		res("answer -1", `{"answers":[0,0,0,0,0,0,0,0,-1]}`, "answers.9"),
		res("answer null", `{"answers":[0,0,null,0,0,0,0,0,0]}`, "answers.3"),
		res("answer beyond int", `{"answers":[0,0,0,0,99999999999999999999,0,0,0,0]}`, "answers.5"),
		res("answer below int", `{"answers":[0,0,0,0,-99999999999999999999,0,0,0,0]}`, "answers.5"),
		wrongType("answers an object", `{"1":0}`, "answers"),
		wrongType("answers a string", `"000000000"`, "answers"),
		wrongType("answer a string", `[0,"1",0,0,0,0,0,0,0]`, "answers.2"),
		wrongType("answer a fraction", `[0,0,0,1.5,0,0,0,0,0]`, "answers.4"),
		wrongType("answer 1.0", `[0,0,0,1.0,0,0,0,0,0]`, "answers.4"),
		wrongType("answer in exponent form", `[0,0,0,0,0,0,1e0,0,0]`, "answers.7"),
		wrongType("answer a boolean", `[0,0,0,0,0,0,0,true,0]`, "answers.8"),
		wrongType("answer a list", `[0,0,0,0,0,0,0,0,[1]]`, "answers.9"),
		res("self_test a string", `{"answers":[0,0,0,0,0,0,0,0,0],"self_test":"yes"}`, "self_test"),
		inputCase{name: "unknown instrument", who: clientA, method: "POST", path: "/api/v1/questionnaires/bdi/responses",
			body: `{"answers":[0]}`, status: 404, code: eyelevel.ENOTFOUND, key: "error.not_found"},
		inputCase{name: "a counselor", who: counselorX, method: "POST", path: path,
			body: `{"answers":[0,0,0,0,0,0,0,0,0]}`, status: 403, code: eyelevel.EFORBIDDEN},
	)
	runCareInput(t, w, cases)
	// Both wrong-typed answers are named.
	e := w.do(t, clientA, "POST", path, `{"answers":["0",0,0,0,0,0,0,0,0.5]}`).wantError(t, 400, eyelevel.EINVALID, "answers.1", "answers.9")
	if len(e.Fields) != 2 {
		t.Errorf("fields = %v", e.Fields)
	}
}

func TestInputResponseLookups(t *testing.T) {
	w := newCareWorld(t)
	runCareInput(t, w, []inputCase{
		{name: "unknown response", who: clientA, method: "GET", path: "/api/v1/responses/nothing", status: 404, code: eyelevel.ENOTFOUND},
		{name: "responses of an unknown instrument", who: clientA, method: "GET", path: "/api/v1/questionnaires/bdi/responses", status: 404, code: eyelevel.ENOTFOUND},
		{name: "unknown questionnaire", who: anon, method: "GET", path: "/api/v1/questionnaires/bdi", status: 404, code: eyelevel.ENOTFOUND},
	})
}

func TestInputSelfTest(t *testing.T) {
	w := newCareWorld(t)
	path := "/api/v1/self-test"
	st := func(name, body string, fields ...string) inputCase {
		return inputCase{name: name, who: clientB, method: "POST", path: path, body: body, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	cases := syntaxCases(clientB, "POST", path, `{"phq4":[0,0,0,0],"who5":[5,5,5,5,5]}`, "phq4")
	cases = append(cases,
		st("empty object", `{}`, "phq4.answers", "who5.answers"),
		st("no WHO-5", `{"phq4":[0,0,0,0]}`, "who5.answers"),
		st("3 PHQ-4 answers", `{"phq4":[0,0,0],"who5":[5,5,5,5,5]}`, "phq4.answers"),
		st("6 WHO-5 answers", `{"phq4":[0,0,0,0],"who5":[5,5,5,5,5,5]}`, "who5.answers"),
		st("PHQ-4 answer 4", `{"phq4":[0,4,0,0],"who5":[5,5,5,5,5]}`, "phq4.answers.2"),
		st("WHO-5 answer 6", `{"phq4":[0,0,0,0],"who5":[5,5,5,5,6]}`, "who5.answers.5"),
		st("both out of range", `{"phq4":[-1,0,0,0],"who5":[6,5,5,5,5]}`, "phq4.answers.1", "who5.answers.1"),
		st("PHQ-4 answer a string", `{"phq4":[0,0,"2",0],"who5":[5,5,5,5,5]}`, "phq4.answers.3"),
		st("WHO-5 answer a fraction", `{"phq4":[0,0,0,0],"who5":[5,2.5,5,5,5]}`, "who5.answers.2"),
		st("PHQ-4 not a list", `{"phq4":0,"who5":[5,5,5,5,5]}`, "phq4"),
		inputCase{name: "an admin", who: admin, method: "POST", path: path, body: `{"phq4":[0,0,0,0],"who5":[5,5,5,5,5]}`, status: 403, code: eyelevel.EFORBIDDEN},
	)
	runCareInput(t, w, cases)
}

func TestInputReflection(t *testing.T) {
	w := newCareWorld(t)
	path := "/api/v1/program/steps/1/reflection"
	refl := func(name string, body any, fields ...string) inputCase {
		return inputCase{name: name, who: clientA, method: "PUT", path: path, body: body, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	valid := `{"text":"new","done":true,"shared":false}`
	cases := syntaxCases(clientA, "PUT", path, valid, "text")
	tooLong := refl("text of 20,001 characters", map[string]any{"text": strings.Repeat("ö", 20001)}, "text")
	tooLong.key = "program.err.too_long"
	cases = append(cases,
		tooLong,
		refl("text with NUL", map[string]any{"text": "a\x00b"}, "text"),
		refl("text a number", `{"text":5}`, "text"),
		refl("text a list", `{"text":["a"]}`, "text"),
		refl("done a string", `{"text":"a","done":"yes"}`, "done"),
		refl("shared a number", `{"text":"a","shared":1}`, "shared"),
		inputCase{name: "a counselor", who: counselorX, method: "PUT", path: path, body: valid, status: 403, code: eyelevel.EFORBIDDEN},
	)
	for _, n := range []string{"0", "8", "01", "+1", "-1", "1.0", "one", "99999999999999999999"} {
		cases = append(cases,
			inputCase{name: "write step " + n, who: clientA, method: "PUT", path: "/api/v1/program/steps/" + n + "/reflection", body: valid,
				status: 404, code: eyelevel.ENOTFOUND},
			inputCase{name: "read step " + n, who: clientA, method: "GET", path: "/api/v1/program/steps/" + n,
				status: 404, code: eyelevel.ENOTFOUND},
		)
	}
	runCareInput(t, w, cases)
}

func TestInputRating(t *testing.T) {
	w := newCareWorld(t)
	path := "/api/v1/appointments/" + string(w.apptA) + "/rating"
	rate := func(name string, body any, fields ...string) inputCase {
		return inputCase{name: name, who: clientA, method: "POST", path: path, body: body, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	// A later session of B with Y, still ahead.
	later := w.mustBook(t, clientB, counselorY, time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC))
	cases := syntaxCases(clientA, "POST", path, `{"stars":4,"comment":"ok"}`, "comment")
	cases = append(cases,
		rate("empty object", `{}`, "stars"),
		rate("0 stars", `{"stars":0}`, "stars"),
		rate("6 stars", `{"stars":6}`, "stars"),
		rate("-1 stars", `{"stars":-1}`, "stars"),
		rate("stars a string", `{"stars":"5"}`, "stars"),
		rate("4.5 stars", `{"stars":4.5}`, "stars"),
		rate("comment of 1,001 characters", map[string]any{"stars": 5, "comment": strings.Repeat("ä", 1001)}, "comment"),
		rate("comment a number", `{"stars":5,"comment":5}`, "comment"),
		rate("decline a string", `{"decline":"true"}`, "decline"),
		inputCase{name: "another's session", who: clientB, method: "POST", path: path, body: `{"stars":5}`, status: 404, code: eyelevel.ENOTFOUND},
		inputCase{name: "no such session", who: clientA, method: "POST", path: "/api/v1/appointments/nothing/rating", body: `{"stars":5}`, status: 404, code: eyelevel.ENOTFOUND},
		inputCase{name: "a session not yet held", who: clientB, method: "POST", path: "/api/v1/appointments/" + string(later) + "/rating",
			body: `{"stars":5}`, status: 409, code: eyelevel.ECONFLICT, key: "rating.err.not_yet"},
	)
	runCareInput(t, w, cases)
	// The limit itself is allowed, once.
	ok := map[string]any{"stars": 5, "comment": strings.Repeat("ä", 1000)}
	w.do(t, clientA, "POST", path, ok).wantStatus(t, 201)
	runCareInput(t, w, []inputCase{
		{name: "rated already", who: clientA, method: "POST", path: path, body: `{"decline":true}`, status: 409, code: eyelevel.ECONFLICT, key: "rating.err.done"},
	})
}

func TestInputSafetyAlerts(t *testing.T) {
	w := newCareWorld(t)
	path := "/api/v1/safety-alerts"
	bad := func(name, body string, status int, code string) inputCase {
		return inputCase{name: name, who: clientB, method: "POST", path: path, body: body, status: status, code: code}
	}
	runCareInput(t, w, []inputCase{
		bad("malformed JSON", `{"a":`, 400, eyelevel.EINVALID),
		bad("unknown field", `{"message":"help"}`, 400, eyelevel.EINVALID),
		bad("array body", `[]`, 400, eyelevel.EINVALID),
		bad("two values", `{}{}`, 400, eyelevel.EINVALID),
		bad("only space", `   `, 400, eyelevel.EINVALID),
		bad("over 1 MiB", big("message"), 413, eyelevel.ETOOLARGE),
		{name: "acknowledge no such alert", who: counselorX, method: "POST", path: "/api/v1/safety-alerts/nothing/acknowledge", status: 404, code: eyelevel.ENOTFOUND},
		{name: "client of nobody", who: counselorX, method: "GET", path: "/api/v1/clients/nobody", status: 404, code: eyelevel.ENOTFOUND},
	})
}

func TestInputRatingsLookups(t *testing.T) {
	w := newCareWorld(t)
	runCareInput(t, w, []inputCase{
		{name: "ratings of nobody, as admin", who: admin, method: "GET", path: "/api/v1/counselors/nobody/ratings", status: 404, code: eyelevel.ENOTFOUND},
		{name: "ratings of a client, as admin", who: admin, method: "GET", path: "/api/v1/counselors/" + string(w.ids[clientA]) + "/ratings", status: 404, code: eyelevel.ENOTFOUND},
		{name: "ratings of nobody, as a counselor", who: counselorX, method: "GET", path: "/api/v1/counselors/nobody/ratings", status: 403, code: eyelevel.EFORBIDDEN},
	})
}

func TestInputImpactReport(t *testing.T) {
	w := newCareWorld(t)
	rep := func(name, query string, fields ...string) inputCase {
		c := inputCase{name: name, who: admin, method: "GET", path: "/api/v1/reports/impact" + query, status: 400, code: eyelevel.EINVALID, fields: fields}
		switch query {
		case "?from=2026-12-01&to=2026-10-31", "?from=2000-01-01&to=2025-12-31", "?from=2026-01-01&to=2026-06-30":
			c.key = "report.err.period"
		case "?from=2026-10-01&to=2026-12-31", "?from=2026-01-01&to=2026-12-31":
			c.key = "report.err.open"
		default:
			if len(fields) > 0 {
				c.key = "api.err.date"
			}
		}
		return c
	}
	runCareInput(t, w, []inputCase{
		rep("no parameters", "", "from", "to"),
		rep("no from", "?to=2026-12-31", "from"),
		rep("empty to", "?from=2026-01-01&to=", "to"),
		rep("month only", "?from=2026-01&to=2026-12-31", "from"),
		rep("month 13", "?from=2026-13-01&to=2026-12-31", "from"),
		rep("German date", "?from=01.01.2026&to=2026-12-31", "from"),
		rep("time without zone", "?from=2026-01-01T00:00:00&to=2026-12-31", "from"),
		rep("unencoded plus", "?from=2026-01-01T00:00:00+01:00&to=2026-12-31", "from"),
		rep("to garbage", "?from=2026-01-01&to=%01", "to"),
		rep("to before from", "?from=2026-12-01&to=2026-10-31", "to"),
		rep("many years", "?from=2000-01-01&to=2025-12-31", "to"),
		rep("half a year", "?from=2026-01-01&to=2026-06-30", "to"),
		rep("the current quarter", "?from=2026-10-01&to=2026-12-31", "to"),
		rep("the current year", "?from=2026-01-01&to=2026-12-31", "to"),
		{name: "a counselor", who: counselorX, method: "GET", path: "/api/v1/reports/impact?from=2026-01-01&to=2026-12-31", status: 403, code: eyelevel.EFORBIDDEN},
	})
}
