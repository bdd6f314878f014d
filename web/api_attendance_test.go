package web_test

import (
	"testing"
	"time"

	"eyelevel"
)

// TestInputAttendance: PUT /api/v1/appointments/{id}/attendance refuses
// bad input with the error shape and changes nothing; only the session's
// counselor records it, from the start until 7 days after the end; the
// appointment's JSON carries it and who pays.
func TestInputAttendance(t *testing.T) {
	w := newWorld(t)
	path := "/api/v1/appointments/" + string(w.apptA) + "/attendance"
	put := func(name string, who role, body any, status int, code string, fields ...string) inputCase {
		return inputCase{name: name, who: who, method: "PUT", path: path, body: body, status: status, code: code, fields: fields}
	}
	held := map[string]any{"attendance": "held"}
	runInput(t, w, []inputCase{
		put("before the start", counselorX, held, 409, eyelevel.ECONFLICT),
	})
	w.clock.Advance(apptAStart.Add(time.Hour).Sub(monday))
	runInput(t, w, []inputCase{
		put("missing", counselorX, map[string]any{}, 400, eyelevel.EINVALID, "attendance"),
		put("unknown value", counselorX, map[string]any{"attendance": "present"}, 400, eyelevel.EINVALID, "attendance"),
		put("wrong type", counselorX, map[string]any{"attendance": 1}, 400, eyelevel.EINVALID),
		put("unknown field", counselorX, map[string]any{"attendance": "held", "by": "me"}, 400, eyelevel.EINVALID),
		put("not JSON", counselorX, "held", 400, eyelevel.EINVALID),
		put("the client", clientA, held, 404, eyelevel.ENOTFOUND),
		put("another counselor", counselorY, held, 404, eyelevel.ENOTFOUND),
		put("an admin", admin, held, 404, eyelevel.ENOTFOUND),
		{name: "no such appointment", who: counselorX, method: "PUT", path: "/api/v1/appointments/nothing/attendance", body: held, status: 404, code: eyelevel.ENOTFOUND},
	})
	var got struct {
		PaidBy     string  `json:"paid_by"`
		Attendance *string `json:"attendance"`
	}
	r := w.do(t, clientA, "GET", "/api/v1/appointments/"+string(w.apptA), nil)
	r.wantStatus(t, 200)
	r.decode(t, &got)
	if got.PaidBy != "free" || got.Attendance != nil {
		t.Errorf("before: paid_by %q, attendance %v", got.PaidBy, got.Attendance)
	}
	for range 2 { // the same again changes nothing
		w.do(t, counselorX, "PUT", path, held).wantStatus(t, 200)
	}
	r = w.do(t, clientA, "GET", "/api/v1/appointments/"+string(w.apptA), nil)
	r.decode(t, &got)
	if got.Attendance == nil || *got.Attendance != "held" {
		t.Errorf("after: attendance %v", got.Attendance)
	}
	w.clock.Advance(8 * 24 * time.Hour)
	runInput(t, w, []inputCase{
		put("after 7 days", counselorX, map[string]any{"attendance": "no_show_counselor"}, 409, eyelevel.ECONFLICT),
	})
}

// TestInputBookingCharges: client_id is for care points (another client
// is not found for a client; counselors may not book), and with a
// price set a client without credits gets 402 naming the price.
func TestInputBookingCharges(t *testing.T) {
	w := newWorld(t)
	book := map[string]any{"counselor_id": w.ids[counselorY], "start": "2026-12-03T10:00:00Z"}
	runInput(t, w, []inputCase{
		{name: "client_id of another client from a client", who: clientA, method: "POST", path: "/api/v1/appointments", body: jsonWith(book, "client_id", string(w.ids[clientB])),
			status: 404, code: eyelevel.ENOTFOUND},
		{name: "client_id from a counselor", who: counselorX, method: "POST", path: "/api/v1/appointments", body: jsonWith(book, "client_id", string(w.ids[clientB])),
			status: 403, code: eyelevel.EFORBIDDEN},
	})
	if err := w.db.SetPricing(w.ctx, eyelevel.Pricing{Currency: "EUR", SessionPrice: 6500, Packages: []int{1, 3, 5}}, monday); err != nil {
		t.Fatal(err)
	}
	runInput(t, w, []inputCase{
		{name: "no credit while charging", who: clientA, method: "POST", path: "/api/v1/appointments", body: book, status: 402, code: eyelevel.EPAYMENT},
	})
	e := w.do(t, clientA, "POST", "/api/v1/appointments", book).wantError(t, 402, eyelevel.EPAYMENT)
	if want := w.cat.T("de", "payment.err.required", "price", "€65", "packages", "1, 3, 5"); e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
}
