package web

import (
	"net/http"
	"net/url"
	"strconv"

	"eyelevel"
	"eyelevel/program"
	"eyelevel/service"
)

type programData struct {
	Steps []service.ReflectionView
	Done  int
	Total int
}

func (v *views) programPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/program") {
			return
		}
		steps, err := v.d.Service.Program(r.Context(), info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		data := programData{Steps: steps, Total: program.Steps}
		for _, s := range steps {
			if s.Done {
				data.Done++
			}
		}
		p := newPage(r, "program.title")
		p.Data = data
		v.render(w, r, http.StatusOK, "program", p)
	})
}

type stepData struct {
	service.ReflectionView
	Prev, Next int // neighbouring step numbers, 0 for none
	Max        int
}

func (v *views) stepPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		st, err := v.d.Service.ProgramStep(r.Context(), info(r).Actor, stepOfPath(r))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "program.step.title")
		p.Form.Set("text", st.Text)
		v.renderStep(w, r, p, st, nil)
	})
}

func (v *views) renderStep(w http.ResponseWriter, r *http.Request, p *page, st service.ReflectionView, err error) {
	n := st.Step.Number
	data := stepData{ReflectionView: st, Max: service.MaxReflection}
	if n > 1 {
		data.Prev = n - 1
	}
	if n < program.Steps {
		data.Next = n + 1
	}
	p.Self = "/program/" + strconv.Itoa(n)
	p.Data = data
	v.renderAfter(w, r, "step", p, err)
}

func (v *views) saveStep() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		n := stepOfPath(r)
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		in := service.ReflectionInput{Text: f.Get("text"), Done: f.Get("done") == "on", Shared: f.Get("shared") == "on"}
		if _, err := v.d.Service.SaveReflection(r.Context(), info(r).Actor, n, in); err != nil {
			if eyelevel.ErrorCode(err) != eyelevel.EINVALID {
				v.fail(w, r, err)
				return
			}
			// Show the step with the text as typed, so nothing is lost.
			step, _ := v.d.Service.ProgramStep(r.Context(), info(r).Actor, n)
			step.Done, step.Shared = in.Done, in.Shared
			p := newPage(r, "program.step.title")
			p.Form.Set("text", in.Text)
			v.renderStep(w, r, p, step, err)
			return
		}
		next := "/program/" + strconv.Itoa(n) + "?notice=saved"
		if in.Done && n < program.Steps {
			next = "/program/" + strconv.Itoa(n+1) + "?notice=step_done"
		} else if in.Done {
			next = "/program?notice=step_done"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
}

type ratingData struct {
	Appointment eyelevel.Appointment
	Action      string
	MaxComment  int
}

func (v *views) ratingForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		v.renderRating(w, r, newPage(r, "rating.title"), nil)
	})
}

func (v *views) renderRating(w http.ResponseWriter, r *http.Request, p *page, err error) {
	id := eyelevel.AppointmentID(r.PathValue("id"))
	appt, aerr := v.d.Service.Appointment(r.Context(), info(r).Actor, id)
	if aerr != nil {
		v.fail(w, r, aerr)
		return
	}
	p.Self = "/appointments/" + url.PathEscape(string(id)) + "/rating"
	p.Data = ratingData{Appointment: appt, Action: p.Self, MaxComment: service.MaxComment}
	v.renderAfter(w, r, "rating", p, err)
}

func (v *views) rate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/appointments") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		in := service.RatingInput{Comment: f.Get("comment"), Decline: f.Get("decline") != ""}
		in.Stars, _ = strconv.Atoi(f.Get("stars"))
		if _, err := v.d.Service.Rate(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")), in); err != nil {
			p := newPage(r, "rating.title")
			p.Form = keep(f, "stars", "comment")
			v.renderRating(w, r, p, err)
			return
		}
		notice := "rated"
		if in.Decline {
			notice = "saved"
		}
		http.Redirect(w, r, "/appointments?notice="+notice, http.StatusSeeOther)
	})
}
