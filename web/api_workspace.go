package web

import (
	"context"
	"net/http"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

// The counselor's workspace: dashboard, caseload, session notes, absences
// and hand-overs.

// optTime is an RFC 3339 time (rfc3339 is in api_export.go), or nil for the zero time.
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}

type workSessionJSON struct {
	ID             eyelevel.AppointmentID `json:"id"`
	ClientID       eyelevel.UserID        `json:"client_id"`
	ClientUsername string                 `json:"client_username"`
	Start          string                 `json:"start"`
	End            string                 `json:"end"`
	Today          bool                   `json:"today"`
	ClientWaiting  bool                   `json:"client_waiting"`
}

type unreadJSON struct {
	ClientID       eyelevel.UserID `json:"client_id"`
	ClientUsername string          `json:"client_username"`
	Count          int             `json:"count"`
	Last           string          `json:"last_at"`
}

type clientTasksJSON struct {
	ClientID       eyelevel.UserID `json:"client_id"`
	ClientUsername string          `json:"client_username"`
	Tasks          []taskJSON      `json:"tasks"`
}

type workspaceJSON struct {
	SafetyAlerts []alertJSON       `json:"safety_alerts"`
	Sessions     []workSessionJSON `json:"sessions"`
	Unread       []unreadJSON      `json:"unread"`
	Tasks        []clientTasksJSON `json:"tasks"`
}

// workspaceView is the dashboard with the hub's "client is waiting".
func workspaceView(d Deps, ws service.Workspace) workspaceJSON {
	ids := make([]eyelevel.AppointmentID, len(ws.Sessions))
	for i, s := range ws.Sessions {
		ids[i] = s.ID
	}
	waiting := d.Hub.Waiting(ids)
	out := workspaceJSON{SafetyAlerts: alertsOf(ws.Alerts), Sessions: []workSessionJSON{}, Unread: []unreadJSON{}, Tasks: []clientTasksJSON{}}
	for _, s := range ws.Sessions {
		out.Sessions = append(out.Sessions, workSessionJSON{ID: s.ID, ClientID: s.ClientID, ClientUsername: s.ClientUsername,
			Start: rfc3339(s.Start), End: rfc3339(s.End), Today: s.Today, ClientWaiting: waiting[s.ID]})
	}
	for _, u := range ws.Unread {
		out.Unread = append(out.Unread, unreadJSON{ClientID: u.ClientID, ClientUsername: u.Username, Count: u.Count, Last: rfc3339(u.Last)})
	}
	for _, c := range ws.Tasks {
		ct := clientTasksJSON{ClientID: c.ClientID, ClientUsername: c.Username, Tasks: []taskJSON{}}
		for _, t := range c.Tasks {
			ct.Tasks = append(ct.Tasks, taskJSON{Occasion: t.Occasion, Instruments: t.Instruments, Since: rfc3339(t.Since)})
		}
		out.Tasks = append(out.Tasks, ct)
	}
	return out
}

func handleWorkspace(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := d.Service.Workspace(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, workspaceView(d, ws))
	})
}

type caseloadJSON struct {
	ID           eyelevel.UserID `json:"id"`
	Username     string          `json:"username"`
	NextSession  *string         `json:"next_session"`
	LastSession  *string         `json:"last_session"`
	SessionsHeld int             `json:"sessions_held"`
	OpenAlert    bool            `json:"open_alert"`
}

func caseloadOf(cl []store.CaseloadRow) []caseloadJSON {
	out := make([]caseloadJSON, len(cl))
	for i, c := range cl {
		out[i] = caseloadJSON{ID: c.ClientID, Username: c.Username, NextSession: optTime(c.Next), LastSession: optTime(c.Last), SessionsHeld: c.Held, OpenAlert: c.OpenAlert}
	}
	return out
}

func handleCaseload(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cl, err := d.Service.Caseload(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"clients": caseloadOf(cl)})
	})
}

type noteJSON struct {
	AppointmentID eyelevel.AppointmentID `json:"appointment_id"`
	Text          string                 `json:"text"`
	UpdatedAt     *string                `json:"updated_at"`
}

func noteOf(n service.Note) noteJSON {
	return noteJSON{AppointmentID: n.AppointmentID, Text: n.Text, UpdatedAt: optTime(n.UpdatedAt)}
}

func handleGetNote(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := d.Service.SessionNote(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, noteOf(n))
	})
}

func handlePutNote(d Deps) http.Handler {
	return handleText(d, "id", http.StatusOK, func(ctx context.Context, a eyelevel.Actor, id, text string) (service.Note, error) {
		return d.Service.PutSessionNote(ctx, a, eyelevel.AppointmentID(id), text)
	}, noteOf)
}

type absenceJSON struct {
	ID       string            `json:"id"`
	From     string            `json:"from"`
	To       string            `json:"to"`
	Message  string            `json:"message"`
	Sessions []appointmentJSON `json:"sessions"`
}

func absenceOf(a service.Absence) absenceJSON {
	out := absenceJSON{ID: a.ID, From: a.From, To: a.To, Message: a.Message, Sessions: appointmentsOf(a.Sessions)}
	return out
}

func appointmentsOf(as []eyelevel.Appointment) []appointmentJSON {
	out := make([]appointmentJSON, len(as))
	for i, a := range as {
		out[i] = appointmentOf(a)
	}
	return out
}

func handleAddAbsence(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[struct {
			From    string `json:"from"`
			To      string `json:"to"`
			Message string `json:"message"`
		}](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		a, err := d.Service.AddAbsence(r.Context(), info(r).Actor, service.AbsenceInput{From: in.From, To: in.To, Message: in.Message})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, absenceOf(a))
	})
}

func handleAbsences(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		as, err := d.Service.Absences(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]absenceJSON, len(as))
		for i, a := range as {
			out[i] = absenceOf(a)
		}
		encode(w, http.StatusOK, map[string]any{"absences": out})
	})
}

func handleDeleteAbsence(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.Service.DeleteAbsence(r.Context(), info(r).Actor, r.PathValue("id")); err != nil {
			writeError(w, r, d, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func handleCancelAbsenceSessions(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := decodeOptional[struct{}](w, r); err != nil {
			writeError(w, r, d, err)
			return
		}
		as, err := d.Service.CancelAbsenceSessions(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"cancelled": appointmentsOf(as)})
	})
}

type handoverJSON struct {
	ID              string          `json:"id"`
	ClientID        eyelevel.UserID `json:"client_id"`
	ClientUsername  string          `json:"client_username"`
	FromCounselorID eyelevel.UserID `json:"from_counselor_id"`
	FromName        string          `json:"from_counselor_name"`
	ToCounselorID   eyelevel.UserID `json:"to_counselor_id"`
	ToName          string          `json:"to_counselor_name"`
	Note            string          `json:"note"`
	Status          string          `json:"status"`
	CreatedAt       string          `json:"created_at"`
	DecidedAt       *string         `json:"decided_at"`
}

func handoverOf(h service.Handover) handoverJSON {
	return handoverJSON{ID: h.ID, ClientID: h.ClientID, ClientUsername: h.ClientUsername, FromCounselorID: h.FromCounselorID, FromName: h.FromName,
		ToCounselorID: h.ToCounselorID, ToName: h.ToName, Note: h.Note, Status: h.Status, CreatedAt: rfc3339(h.CreatedAt), DecidedAt: optTime(h.DecidedAt)}
}

func handleProposeHandover(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[struct {
			ClientID      eyelevel.UserID `json:"client_id"`
			ToCounselorID eyelevel.UserID `json:"to_counselor_id"`
			Note          string          `json:"note"`
		}](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		h, err := d.Service.ProposeHandover(r.Context(), info(r).Actor, service.HandoverInput{ClientID: in.ClientID, ToCounselorID: in.ToCounselorID, Note: in.Note})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, handoverOf(h))
	})
}

func handleHandovers(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs, err := d.Service.Handovers(r.Context(), info(r).Actor, "")
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]handoverJSON, len(hs))
		for i, h := range hs {
			out[i] = handoverOf(h)
		}
		encode(w, http.StatusOK, map[string]any{"handovers": out})
	})
}

func handleDecideHandover(d Deps, accept bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := decodeOptional[struct{}](w, r); err != nil {
			writeError(w, r, d, err)
			return
		}
		h, err := d.Service.DecideHandover(r.Context(), info(r).Actor, r.PathValue("id"), accept)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, handoverOf(h))
	})
}
