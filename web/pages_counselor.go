package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/slots"
)

// The availability editor shows per weekday at least windowRows start/end
// pairs, and the existing exceptions plus extraExceptions empty rows.
const (
	windowRows      = 3
	extraExceptions = 3
	maxFormRows     = 600 // rows read from a form; the service bounds the rest
)

// Form fields are named w<weekday>.<row>.start/end and
// x<row>.date/available/start/end; Name holds the prefix.
type windowRow struct {
	Name, Start, End string
	StartErr, EndErr string
}

type dayRows struct {
	Weekday time.Weekday
	Rows    []windowRow
}

type exceptionRow struct {
	Name, Date, Start, End    string
	Available                 bool
	DateErr, StartErr, EndErr string
}

type availabilityData struct {
	Counselor  eyelevel.Counselor
	Own        bool // the counselor edits their own schedule
	Days       []dayRows
	Exceptions []exceptionRow
	Errors     []string // problems that belong to no single field
}

// mondayFirst is the order of the editor's weekdays.
var mondayFirst = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// clockValue formats minutes for an <input type=time>, which cannot show
// 24:00; midnight at the end of a window is entered and shown as 00:00.
func clockValue(min int) string {
	return slots.FormatClock(min % (24 * 60))
}

// parseClockInput parses an <input type=time> value; end reports that the
// value ends a window, where 00:00 means midnight at the end of the day.
func parseClockInput(s string, end bool) (int, bool) {
	if len(s) == 8 && strings.HasSuffix(s, ":00") {
		s = s[:5] // some browsers add seconds
	}
	m, err := slots.ParseClock(s)
	if err != nil {
		return 0, false
	}
	if end && m == 0 {
		m = 24 * 60
	}
	return m, true
}

// editorOf is the editor filled from av.
func editorOf(av eyelevel.Availability) availabilityData {
	var data availabilityData
	for _, wd := range mondayFirst {
		day := dayRows{Weekday: wd}
		for _, win := range av.Weekly {
			if win.Weekday == wd {
				day.Rows = append(day.Rows, windowRow{Start: clockValue(win.Start), End: clockValue(win.End)})
			}
		}
		for len(day.Rows) < windowRows {
			day.Rows = append(day.Rows, windowRow{})
		}
		for i := range day.Rows {
			day.Rows[i].Name = fmt.Sprintf("w%d.%d", wd, i)
		}
		data.Days = append(data.Days, day)
	}
	for _, e := range av.Exceptions {
		x := exceptionRow{Date: e.Date, Available: e.Available}
		if e.Start != 0 || e.End != 0 {
			x.Start, x.End = clockValue(e.Start), clockValue(e.End)
		}
		data.Exceptions = append(data.Exceptions, x)
	}
	for range extraExceptions {
		data.Exceptions = append(data.Exceptions, exceptionRow{})
	}
	for i := range data.Exceptions {
		data.Exceptions[i].Name = "x" + strconv.Itoa(i)
	}
	return data
}

// parsedAvailability is a submitted editor: the form as typed, the schedule
// it describes, and where each schedule entry came from, so that the
// service's problems ("weekly[3].end") land next to the right inputs.
type parsedAvailability struct {
	form      availabilityData
	av        eyelevel.Availability
	weekly    []*windowRow
	exception []*exceptionRow
	problems  int
}

func parseAvailability(f url.Values, lang func(string) string) *parsedAvailability {
	pa := &parsedAvailability{}
	for _, wd := range mondayFirst {
		day := dayRows{Weekday: wd}
		for i := 0; i < maxFormRows; i++ {
			name := fmt.Sprintf("w%d.%d", wd, i)
			if !f.Has(name+".start") && !f.Has(name+".end") {
				break
			}
			day.Rows = append(day.Rows, windowRow{Name: name, Start: f.Get(name + ".start"), End: f.Get(name + ".end")})
		}
		pa.form.Days = append(pa.form.Days, day)
	}
	for i := 0; i < maxFormRows; i++ {
		name := "x" + strconv.Itoa(i)
		if !f.Has(name + ".date") {
			break
		}
		pa.form.Exceptions = append(pa.form.Exceptions, exceptionRow{
			Name: name, Date: strings.TrimSpace(f.Get(name + ".date")), Available: f.Get(name+".available") == "yes",
			Start: f.Get(name + ".start"), End: f.Get(name + ".end"),
		})
	}
	bad := func(msg *string, key string) {
		*msg = lang(key)
		pa.problems++
	}
	for d := range pa.form.Days {
		for i := range pa.form.Days[d].Rows {
			row := &pa.form.Days[d].Rows[i]
			if row.Start == "" && row.End == "" {
				continue
			}
			start, okS := parseClockInput(row.Start, false)
			end, okE := parseClockInput(row.End, true)
			if !okS {
				bad(&row.StartErr, "availability.err.time")
			}
			if !okE {
				bad(&row.EndErr, "availability.err.time")
			}
			if okS && okE {
				pa.av.Weekly = append(pa.av.Weekly, eyelevel.WeeklyWindow{Weekday: pa.form.Days[d].Weekday, Start: start, End: end})
				pa.weekly = append(pa.weekly, row)
			}
		}
	}
	for i := range pa.form.Exceptions {
		row := &pa.form.Exceptions[i]
		if row.Date == "" {
			continue // an emptied date removes the exception
		}
		e := eyelevel.Exception{Date: row.Date, Available: row.Available}
		if row.Start != "" || row.End != "" {
			var okS, okE bool
			e.Start, okS = parseClockInput(row.Start, false)
			e.End, okE = parseClockInput(row.End, true)
			if !okS {
				bad(&row.StartErr, "availability.err.time")
			}
			if !okE {
				bad(&row.EndErr, "availability.err.time")
			}
			if !okS || !okE {
				continue
			}
		}
		pa.av.Exceptions = append(pa.av.Exceptions, e)
		pa.exception = append(pa.exception, row)
	}
	return pa
}

// place puts the service's field problems next to the inputs they concern.
func (pa *parsedAvailability) place(fields map[string]string, lang func(string) string) {
	for field, key := range fields {
		msg := lang(key)
		var list string
		var i int
		var part string
		if n, _ := fmt.Sscanf(strings.NewReplacer("[", " ", "].", " ").Replace(field), "%s %d %s", &list, &i, &part); n == 3 {
			switch {
			case list == "weekly" && i >= 0 && i < len(pa.weekly):
				if part == "end" {
					pa.weekly[i].EndErr = msg
				} else {
					pa.weekly[i].StartErr = msg
				}
				continue
			case list == "exceptions" && i >= 0 && i < len(pa.exception):
				switch part {
				case "date":
					pa.exception[i].DateErr = msg
				case "end":
					pa.exception[i].EndErr = msg
				default:
					pa.exception[i].StartErr = msg
				}
				continue
			}
		}
		pa.form.Errors = append(pa.form.Errors, msg)
	}
}

// pickCounselor returns whose schedule or profile a GET is about. Admins
// have neither of their own: without ?counselor= they are sent to pick one
// from the list, and pickCounselor reports false.
func pickCounselor(w http.ResponseWriter, r *http.Request) (eyelevel.UserID, bool) {
	if info(r).Actor.Role == eyelevel.RoleAdmin && r.URL.Query().Get("counselor") == "" {
		http.Redirect(w, r, "/admin/counselors", http.StatusSeeOther)
		return "", false
	}
	return editedCounselor(r, r.URL.Query().Get("counselor")), true
}

// editedCounselor is whose schedule a request is about: ?counselor= (for
// admins), else the actor's own. The service decides whether that is allowed.
func editedCounselor(r *http.Request, id string) eyelevel.UserID {
	if id != "" {
		return eyelevel.UserID(id)
	}
	return info(r).Actor.UserID
}

func availabilityURL(id eyelevel.UserID, own bool) string {
	if own {
		return "/availability"
	}
	return "/availability?counselor=" + url.QueryEscape(string(id))
}

func (v *views) renderAvailability(w http.ResponseWriter, r *http.Request, status int, p *page, c eyelevel.Counselor, data availabilityData) {
	data.Counselor = c
	data.Own = c.ID == info(r).Actor.UserID
	p.Self = availabilityURL(c.ID, data.Own)
	p.Data = data
	v.render(w, r, status, "availability", p)
}

func (v *views) availabilityForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		a := info(r).Actor
		id, ok := pickCounselor(w, r)
		if !ok {
			return
		}
		av, err := v.d.Service.Availability(r.Context(), a, id)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		c, err := v.d.Service.Counselor(r.Context(), a, id)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		v.renderAvailability(w, r, http.StatusOK, newPage(r, "availability.title"), c, editorOf(av))
	})
}

func (v *views) saveAvailability() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/availability") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		a := info(r).Actor
		id := editedCounselor(r, r.PostForm.Get("counselor"))
		lang := func(key string) string { return v.d.Catalog.T(info(r).Lang, key) }
		pa := parseAvailability(r.PostForm, lang)
		p := newPage(r, "availability.title")
		if pa.problems > 0 {
			// A half-read schedule is not saved; the service still decides
			// whether the actor may see this one at all.
			if _, err := v.d.Service.Availability(r.Context(), a, id); err != nil {
				v.fail(w, r, err)
				return
			}
			p.Message = lang("error.invalid")
		} else if err := v.d.Service.SetAvailability(r.Context(), a, id, pa.av); err != nil {
			var e *eyelevel.Error
			if !errors.As(err, &e) || e.Code != eyelevel.EINVALID {
				v.fail(w, r, err)
				return
			}
			v.formError(r, p, err)
			pa.place(e.Fields, lang)
			p.Fields = nil
		} else {
			target := availabilityURL(id, id == a.UserID)
			if strings.Contains(target, "?") {
				target += "&notice=saved"
			} else {
				target += "?notice=saved"
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		c, err := v.d.Service.Counselor(r.Context(), a, id)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		v.renderAvailability(w, r, http.StatusBadRequest, p, c, pa.form)
	})
}
