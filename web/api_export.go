package web

import (
	"net/http"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// exportJSON is a client's copy of their data. Times are RFC 3339 in UTC.
type exportJSON struct {
	ExportedAt string `json:"exported_at"`
	Account    struct {
		ID        eyelevel.UserID `json:"id"`
		Username  string          `json:"username"`
		Email     string          `json:"email,omitempty"`
		Language  string          `json:"language"`
		TimeZone  string          `json:"timezone"`
		CreatedAt string          `json:"created_at"`
	} `json:"account"`
	Appointments []appointmentJSON `json:"appointments"`
	Responses    []exportResponse  `json:"questionnaire_responses"`
	Reflections  []exportStep      `json:"reflections"`
	Ratings      []exportRating    `json:"ratings"`
	SafetyAlerts []exportAlert     `json:"safety_alerts"`
	Waitlist     []waitlistJSON    `json:"waitlist"`
	Messages     []exportMessage   `json:"messages"`
	Handovers    []exportHandover  `json:"handovers"`
}

type exportPeer struct {
	Role eyelevel.Role `json:"role"`
	Name string        `json:"name"` // "" for the duty contact
}

type exportMessage struct {
	With   exportPeer `json:"with"`
	From   exportPeer `json:"from"`
	Text   string     `json:"text"`
	SentAt string     `json:"sent_at"`
	ReadAt string     `json:"read_at,omitempty"`
}

type exportHandover struct {
	Colleague string `json:"colleague"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	DecidedAt string `json:"decided_at,omitempty"`
}

// rfc3339OrEmpty is rfc3339, or "" for the zero time.
func rfc3339OrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return rfc3339(t)
}

type exportResponse struct {
	ID         string `json:"id"`
	Instrument string `json:"instrument"`
	Language   string `json:"language"`
	Occasion   string `json:"occasion"`
	Answers    []int  `json:"answers"`
	Score      int    `json:"score"`
	Band       string `json:"band"`
	Safety     bool   `json:"safety_alert"`
	CreatedAt  string `json:"created_at"`
}

type exportStep struct {
	Step      int    `json:"step"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	Done      bool   `json:"done"`
	Shared    bool   `json:"shared"`
	UpdatedAt string `json:"updated_at"`
}

type exportRating struct {
	AppointmentID eyelevel.AppointmentID `json:"appointment_id"`
	Stars         int                    `json:"stars"`
	Comment       string                 `json:"comment,omitempty"`
	Declined      bool                   `json:"declined"`
	CreatedAt     string                 `json:"created_at"`
}

type exportAlert struct {
	Source       string `json:"source"`
	CreatedAt    string `json:"created_at"`
	Acknowledged bool   `json:"acknowledged"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func exportOf(x service.Export) exportJSON {
	var out exportJSON
	out.ExportedAt = rfc3339(x.ExportedAt)
	a := &out.Account
	a.ID, a.Username, a.Email, a.Language, a.TimeZone, a.CreatedAt = x.Account.ID, x.Account.Username, x.Account.Email, x.Account.Language, x.Account.TimeZone, rfc3339(x.Account.CreatedAt)
	out.Appointments = []appointmentJSON{}
	for _, ap := range x.Appointments {
		out.Appointments = append(out.Appointments, appointmentOf(ap))
	}
	out.Responses = []exportResponse{}
	for _, r := range x.Responses {
		out.Responses = append(out.Responses, exportResponse{ID: r.ID, Instrument: r.Instrument, Language: r.Language, Occasion: r.Occasion,
			Answers: r.Answers, Score: r.Score, Band: r.Band, Safety: r.Safety, CreatedAt: rfc3339(r.CreatedAt)})
	}
	out.Reflections = []exportStep{}
	for _, v := range x.Reflections {
		out.Reflections = append(out.Reflections, exportStep{Step: v.Step.Number, Title: v.Step.Title, Text: v.Text, Done: v.Done, Shared: v.Shared, UpdatedAt: rfc3339(v.UpdatedAt)})
	}
	out.Ratings = []exportRating{}
	for _, r := range x.Ratings {
		out.Ratings = append(out.Ratings, exportRating{AppointmentID: r.AppointmentID, Stars: r.Stars, Comment: r.Comment, Declined: r.Stars == 0, CreatedAt: rfc3339(r.CreatedAt)})
	}
	out.SafetyAlerts = []exportAlert{}
	for _, al := range x.SafetyAlerts {
		out.SafetyAlerts = append(out.SafetyAlerts, exportAlert{Source: al.Source, CreatedAt: rfc3339(al.CreatedAt), Acknowledged: !al.AcknowledgedAt.IsZero()})
	}
	out.Waitlist = []waitlistJSON{}
	for _, e := range x.Waitlist {
		out.Waitlist = append(out.Waitlist, waitlistJSON{Language: e.Language, Gender: e.Gender, Since: rfc3339(e.Since), Available: e.Available})
	}
	out.Messages = []exportMessage{}
	for _, m := range x.Messages {
		out.Messages = append(out.Messages, exportMessage{With: exportPeer{Role: m.With.Role, Name: m.With.Name}, From: exportPeer{Role: m.From.Role, Name: m.From.Name},
			Text: m.Text, SentAt: rfc3339(m.SentAt), ReadAt: rfc3339OrEmpty(m.ReadAt)})
	}
	out.Handovers = []exportHandover{}
	for _, h := range x.Handovers {
		out.Handovers = append(out.Handovers, exportHandover{Colleague: h.Colleague, Status: h.Status, CreatedAt: rfc3339(h.CreatedAt), DecidedAt: rfc3339OrEmpty(h.DecidedAt)})
	}
	return out
}

// handleExport answers with the calling client's data as a file to save.
func handleExport(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, err := d.Service.Export(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="eyelevel-`+x.ExportedAt.Format("2006-01-02")+`.json"`)
		encode(w, http.StatusOK, exportOf(x))
	})
}

// exportPage is the same download for the browser: logged-out visitors
// are sent to log in first, and errors are shown as pages.
func (v *views) exportPage() http.Handler {
	api := handleExport(v.d)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/export") {
			return
		}
		if _, err := v.d.Service.Export(r.Context(), info(r).Actor); err != nil {
			v.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		api.ServeHTTP(w, r)
	})
}
