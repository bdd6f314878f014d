package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"eyelevel"
	"eyelevel/questionnaire"
	"eyelevel/service"
)

type hotlineView struct{ Number, Dial, Label string }

type helpData struct {
	Hotlines []hotlineView
	// FromAnswer is set when the page follows a questionnaire answer that
	// signalled danger; CanAlert when a client may tell their counselor.
	FromAnswer, CanAlert bool
	// Next says what happens after the client asked for help, while an
	// alert of theirs is open (nil otherwise).
	Next *service.SafetyPlan
}

// hotlines renders the operator's crisis numbers in the request's language.
func (v *views) hotlines(r *http.Request) []hotlineView {
	lang := info(r).Lang
	var out []hotlineView
	for _, h := range v.d.Service.Hotlines() {
		label := h.Label[lang]
		if label == "" {
			label = h.Label["en"]
		}
		if h.LabelKey != "" {
			label = v.d.Catalog.T(lang, h.LabelKey)
		}
		out = append(out, hotlineView{Number: h.Number, Dial: h.Dial, Label: label})
	}
	return out
}

func (v *views) help() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(r, "help.title")
		p.Data = helpData{
			Hotlines:   v.hotlines(r),
			FromAnswer: r.URL.Query().Get("from") == "answer",
			CanAlert:   info(r).Actor.Role == eyelevel.RoleClient,
		}
		if d := p.Data.(helpData); d.CanAlert {
			// The crisis numbers show even if this lookup fails.
			if plan, err := v.d.Service.SafetyPlanOf(r.Context(), info(r).Actor); err != nil {
				v.d.Log.Error("safety plan", "err", err)
			} else if plan.Open {
				d.Next = &plan
				p.Data = d
			}
		}
		v.render(w, r, http.StatusOK, "help", p)
	})
}

// raiseAlert lets a client tell their counselor from the crisis page.
func (v *views) raiseAlert() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/help") {
			return
		}
		if _, err := v.d.Service.RaiseAlert(r.Context(), info(r).Actor); err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/help#next", http.StatusSeeOther) // the page says what happens next
	})
}

// formItem is one question with its answer choices, for the form partial.
type formItem struct {
	Name    string // form field name, e.g. "phq4.2"
	Number  int
	Text    string
	Options []questionnaire.Option
	Checked string // the value chosen before, on a re-rendered form
	Err     string
}

type formPart struct {
	Form  *questionnaire.Form
	Items []formItem
}

// formPart prepares an instrument for the form partial; prefix names its
// fields ("phq9" → "phq9.1" …), f holds earlier input, fields the errors.
func formPartOf(f *questionnaire.Form, prefix string, in url.Values, fields map[string]string) formPart {
	part := formPart{Form: f}
	for i, it := range f.Items {
		name := prefix + "." + strconv.Itoa(i+1)
		part.Items = append(part.Items, formItem{
			Name: name, Number: i + 1, Text: it.Text, Options: f.Options, Checked: in.Get(name),
			Err: fields[prefix+".answers."+strconv.Itoa(i+1)],
		})
	}
	return part
}

// answersOf reads an instrument's answers from a form; an empty or
// non-numeric field is an unanswered item.
func answersOf(f url.Values, prefix string, n int) []*int {
	out := make([]*int, n)
	for i := range out {
		if v, err := strconv.Atoi(f.Get(prefix + "." + strconv.Itoa(i+1))); err == nil {
			out[i] = &v
		}
	}
	return out
}

// answersError puts the error of submitted answers on the questionnaire
// page, with a general line on top and the message at each item, and
// returns the status to render with; false means it showed the error page.
// prefix puts a single instrument's field errors ("answers.3") under its
// form prefix, as SubmitSelfTest does for its two parts.
func (v *views) answersError(w http.ResponseWriter, r *http.Request, p *page, err error, prefix string) (int, bool) {
	if err == nil {
		return http.StatusOK, true
	}
	if !v.formError(r, p, err) {
		v.fail(w, r, err)
		return 0, false
	}
	if prefix != "" {
		fields := map[string]string{}
		for k, msg := range p.Fields {
			fields[prefix+"."+k] = msg
		}
		p.Fields = fields
	}
	p.Message = v.d.Catalog.T(info(r).Lang, "questionnaire.err.marked")
	return statusOf(err), true
}

type questionnaireData struct {
	Parts    []formPart
	Action   string
	SelfTest bool
	Preview  bool // staff see the questions clients see, without answering
}

func (v *views) selfTestForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/selftest") {
			return
		}
		v.renderSelfTest(w, r, nil)
	})
}

func (v *views) renderSelfTest(w http.ResponseWriter, r *http.Request, err error) {
	lang := info(r).Lang
	p := newPage(r, "selftest.title")
	p.Self = "/selftest"
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
	}
	status, ok := v.answersError(w, r, p, err, "")
	if !ok {
		return
	}
	data := questionnaireData{Action: "/selftest", SelfTest: true, Preview: info(r).Actor.Role != eyelevel.RoleClient}
	for _, id := range service.SelfTestInstruments {
		f, ferr := v.d.Service.Form(id, lang)
		if ferr != nil {
			v.fail(w, r, ferr)
			return
		}
		data.Parts = append(data.Parts, formPartOf(f, id, p.Form, p.Fields))
	}
	p.Data = data
	v.render(w, r, status, "questionnaire", p)
}

func (v *views) selfTest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/selftest") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		in := service.SelfTestInput{PHQ4: answersOf(r.PostForm, "phq4", 4), WHO5: answersOf(r.PostForm, "who5", 5)}
		if _, err := v.d.Service.SubmitSelfTest(r.Context(), info(r).Actor, in); err != nil {
			v.renderSelfTest(w, r, err)
			return
		}
		http.Redirect(w, r, "/selftest/result", http.StatusSeeOther)
	})
}

type selfTestData struct {
	service.SelfTest
	Hotlines []hotlineView
}

func (v *views) selfTestResult() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/selftest/result") {
			return
		}
		t, err := v.d.Service.LastSelfTest(r.Context(), info(r).Actor)
		if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			http.Redirect(w, r, "/selftest", http.StatusSeeOther)
			return
		} else if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "selftest.result.title")
		p.Data = selfTestData{SelfTest: t, Hotlines: v.hotlines(r)}
		v.render(w, r, http.StatusOK, "selftest_result", p)
	})
}

func (v *views) questionnaireForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		v.renderQuestionnaire(w, r, nil)
	})
}

func (v *views) renderQuestionnaire(w http.ResponseWriter, r *http.Request, err error) {
	id := r.PathValue("instrument")
	f, ferr := v.d.Service.Form(id, info(r).Lang)
	if ferr != nil {
		v.fail(w, r, ferr)
		return
	}
	p := newPage(r, "questionnaire.title")
	p.Self = "/questionnaires/" + url.PathEscape(id)
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
	}
	status, ok := v.answersError(w, r, p, err, id)
	if !ok {
		return
	}
	p.Data = questionnaireData{Action: p.Self, Parts: []formPart{formPartOf(f, id, p.Form, p.Fields)}, Preview: info(r).Actor.Role != eyelevel.RoleClient}
	v.render(w, r, status, "questionnaire", p)
}

func (v *views) submitQuestionnaire() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("instrument")
		if requireLogin(w, r, "/questionnaires/"+url.PathEscape(id)) {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f, err := v.d.Service.Form(id, info(r).Lang)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		sc, err := v.d.Service.SubmitResponse(r.Context(), info(r).Actor, id, service.ResponseInput{Answers: answersOf(r.PostForm, id, len(f.Items))})
		if err != nil {
			v.renderQuestionnaire(w, r, err)
			return
		}
		if sc.Result.SafetyAlert() {
			// Safety first: the crisis page at once, the score after.
			http.Redirect(w, r, "/help?from=answer", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/responses/"+url.PathEscape(sc.ID), http.StatusSeeOther)
	})
}

func (v *views) responsePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		sc, err := v.d.Service.Response(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "response.title")
		p.Data = responseData{Scored: sc, Max: len(sc.Form.Items) * maxValue(sc.Form.Options)}
		v.render(w, r, http.StatusOK, "response", p)
	})
}

type responseData struct {
	service.Scored
	Max int // the highest possible total
}

type progressData struct {
	Tasks     []service.Task
	Charts    []chart
	Responses []service.Scored
	SelfTest  bool // a self-test was taken
}

func (v *views) progress() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/progress") {
			return
		}
		a := info(r).Actor
		tasks, err := v.d.Service.OutcomeTasks(r.Context(), a)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		rs, err := v.d.Service.Responses(r.Context(), a, "")
		if err != nil {
			v.fail(w, r, err)
			return
		}
		data := progressData{Tasks: tasks, Charts: charts(rs, info(r).Zone)}
		for i := len(rs) - 1; i >= 0; i-- {
			data.Responses = append(data.Responses, rs[i])
			data.SelfTest = data.SelfTest || rs[i].Occasion == service.OccasionSelfTest
		}
		p := newPage(r, "progress.title")
		p.Data = data
		v.render(w, r, http.StatusOK, "progress", p)
	})
}

// care is what the appointments page shows besides appointments: for a
// client their to-dos, for a counselor their clients' safety alerts.
type care struct {
	Tasks       []service.Task
	Unrated     []eyelevel.Appointment
	NoSelfTest  bool
	StepsDone   int
	Alerts      alertList
	AlertsCount int
}

// alertList is what the alerts partial shows: open safety alerts, in the
// viewer's zone, with links to the clients' pages when Link is set.
type alertList struct {
	Items []eyelevel.SafetyAlert
	Zone  *time.Location
	Link  bool
	More  bool // there are more than Items; they show as these are acknowledged
}

func (v *views) careOf(r *http.Request, a eyelevel.Actor) (care, error) {
	var c care
	var err error
	switch a.Role {
	case eyelevel.RoleClient:
		if c.Tasks, err = v.d.Service.OutcomeTasks(r.Context(), a); err != nil {
			return c, err
		}
		if c.Unrated, err = v.d.Service.UnratedSessions(r.Context(), a); err != nil {
			return c, err
		}
		if _, err = v.d.Service.LastSelfTest(r.Context(), a); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			c.NoSelfTest = true
		} else if err != nil {
			return c, err
		}
		steps, err := v.d.Service.Program(r.Context(), a)
		if err != nil {
			return c, err
		}
		for _, s := range steps {
			if s.Done {
				c.StepsDone++
			}
		}
	case eyelevel.RoleCounselor:
		alerts, next, err := v.d.Service.SafetyAlertsPage(r.Context(), a, service.Page{Limit: service.MaxLimit})
		if err != nil {
			return c, err
		}
		c.Alerts, c.AlertsCount = alertList{Items: alerts, Zone: zoneOr(info(r).Zone), Link: true, More: next != ""}, len(alerts)
	}
	return c, nil
}

func zoneOr(z *time.Location) *time.Location {
	if z == nil {
		return time.UTC
	}
	return z
}
