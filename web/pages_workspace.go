package web

import (
	"context"
	"net/http"

	"eyelevel"
	"eyelevel/service"
)

// The counselor's workspace pages: dashboard, caseload, one client's
// sessions with notes and hand-over, absences; and the client's page of
// hand-over proposals.

type workspaceData struct {
	Open     alertList
	Sessions []pageSession
	Unread   []service.Unread
	Tasks    []service.ClientTasks
}

// pageSession is a session on the dashboard: Waiting when the client waits
// in the room.
type pageSession struct {
	service.WorkSession
	Waiting bool
}

func (v *views) workspacePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/workspace") {
			return
		}
		ws, err := v.d.Service.Workspace(r.Context(), info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		view := workspaceView(v.d, ws)
		data := workspaceData{Open: alertList{Items: ws.Alerts, Zone: zoneOr(info(r).Zone), Link: true}, Unread: ws.Unread, Tasks: ws.Tasks}
		for i, s := range ws.Sessions {
			data.Sessions = append(data.Sessions, pageSession{WorkSession: s, Waiting: view.Sessions[i].ClientWaiting})
		}
		p := newPage(r, "workspace.title")
		p.Data = data
		v.render(w, r, http.StatusOK, "workspace", p)
	})
}

func (v *views) caseloadPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/workspace/clients") {
			return
		}
		cl, err := v.d.Service.Caseload(r.Context(), info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "caseload.title")
		p.Data = cl
		v.render(w, r, http.StatusOK, "workspace_clients", p)
	})
}

type workspaceClientData struct {
	ClientID   eyelevel.UserID
	Username   string
	Sessions   []service.NotedSession
	Colleagues []eyelevel.Counselor
	Handovers  []service.Handover
	MaxNote    int
}

// workspaceClient loads one client's workspace page, or fails.
func (v *views) workspaceClient(r *http.Request) (workspaceClientData, error) {
	a, client := info(r).Actor, eyelevel.UserID(r.PathValue("id"))
	d := workspaceClientData{ClientID: client, MaxNote: service.MaxNote}
	var err error
	if d.Sessions, err = v.d.Service.ClientSessions(r.Context(), a, client); err != nil {
		return d, err
	}
	if d.Colleagues, err = v.d.Service.Colleagues(r.Context(), a); err != nil {
		return d, err
	}
	if d.Handovers, err = v.d.Service.Handovers(r.Context(), a, client); err != nil {
		return d, err
	}
	for _, s := range d.Sessions {
		d.Username = s.ClientUsername
	}
	for _, h := range d.Handovers {
		d.Username = h.ClientUsername
	}
	return d, nil
}

func (v *views) workspaceClientPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		d, err := v.workspaceClient(r)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "notes.title")
		p.Data = d
		v.render(w, r, http.StatusOK, "workspace_client", p)
	})
}

// saveNote saves a note from the client's workspace page and returns there.
func (v *views) saveNote() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/workspace/clients") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		a := info(r).Actor
		id := eyelevel.AppointmentID(r.PathValue("id"))
		appt, err := v.d.Service.Appointment(r.Context(), a, id)
		if err == nil {
			_, err = v.d.Service.PutSessionNote(r.Context(), a, id, r.PostForm.Get("text"))
		}
		if err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/workspace/clients/"+string(appt.ClientID)+"?notice=saved#note-"+string(id), http.StatusSeeOther)
	})
}

func (v *views) proposeHandover() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/workspace/clients") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		client := eyelevel.UserID(r.PathValue("id"))
		_, err := v.d.Service.ProposeHandover(r.Context(), info(r).Actor, service.HandoverInput{
			ClientID: client, ToCounselorID: eyelevel.UserID(r.PostForm.Get("to_counselor_id")), Note: r.PostForm.Get("note")})
		if err != nil {
			d, lerr := v.workspaceClient(r)
			if lerr != nil {
				v.fail(w, r, lerr)
				return
			}
			p := newPage(r, "notes.title")
			p.Data, p.Form = d, r.PostForm
			v.renderAfter(w, r, "workspace_client", p, err)
			return
		}
		http.Redirect(w, r, "/workspace/clients/"+string(client)+"#handover", http.StatusSeeOther)
	})
}

type absencesData struct {
	Absences   []service.Absence
	MaxMessage int
}

func (v *views) absencesPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/workspace/absences") {
			return
		}
		p := newPage(r, "absence.title")
		v.renderAbsences(w, r, p, nil)
	})
}

// renderAbsences shows the absences page after err (nil: none).
func (v *views) renderAbsences(w http.ResponseWriter, r *http.Request, p *page, err error) {
	as, lerr := v.d.Service.Absences(r.Context(), info(r).Actor)
	if lerr != nil {
		v.fail(w, r, lerr)
		return
	}
	p.Data = absencesData{Absences: as, MaxMessage: service.MaxAbsenceMessage}
	v.renderAfter(w, r, "workspace_absences", p, err)
}

func (v *views) addAbsence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/workspace/absences") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		_, err := v.d.Service.AddAbsence(r.Context(), info(r).Actor, service.AbsenceInput{From: f.Get("from"), To: f.Get("to"), Message: f.Get("message")})
		if err != nil {
			p := newPage(r, "absence.title")
			p.Form = f
			v.renderAbsences(w, r, p, err)
			return
		}
		http.Redirect(w, r, "/workspace/absences", http.StatusSeeOther)
	})
}

// idAction is a form post on the record {id}: it runs act as the visitor
// and sends them on to done, or shows the error; logged-out visitors log
// in first and come back to back.
func (v *views) idAction(back, done string, act func(ctx context.Context, a eyelevel.Actor, id string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, back) {
			return
		}
		if err := act(r.Context(), info(r).Actor, r.PathValue("id")); err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, done, http.StatusSeeOther)
	})
}

func (v *views) deleteAbsence() http.Handler {
	return v.idAction("/workspace/absences", "/workspace/absences?notice=saved", v.d.Service.DeleteAbsence)
}

func (v *views) cancelAbsenceSessions() http.Handler {
	return v.idAction("/workspace/absences", "/workspace/absences?notice=cancelled", func(ctx context.Context, a eyelevel.Actor, id string) error {
		_, err := v.d.Service.CancelAbsenceSessions(ctx, a, id)
		return err
	})
}

func (v *views) handoversPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/handovers") {
			return
		}
		hs, err := v.d.Service.Handovers(r.Context(), info(r).Actor, "")
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "handover.title")
		p.Data = hs
		v.render(w, r, http.StatusOK, "handovers", p)
	})
}

func (v *views) decideHandover(accept bool) http.Handler {
	return v.idAction("/handovers", "/handovers?notice=saved", func(ctx context.Context, a eyelevel.Actor, id string) error {
		_, err := v.d.Service.DecideHandover(ctx, a, id, accept)
		return err
	})
}
