package web

import (
	"net/http"
	"strconv"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// The seven-step program, the counselor's view of a client, and safety alerts.

// stepSummaryJSON is a step in the overview: progress, never the text.
type stepSummaryJSON struct {
	Number    int    `json:"number"`
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Summary   string `json:"summary"`
	Minutes   int    `json:"minutes"`
	Done      bool   `json:"done"`
	Shared    bool   `json:"shared"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

type reflectionJSON struct {
	Text      string `json:"text"`
	Done      bool   `json:"done"`
	Shared    bool   `json:"shared"`
	UpdatedAt string `json:"updated_at"`
}

// stepJSON is one step with the caller's own reflection, if any.
type stepJSON struct {
	Number     int             `json:"number"`
	Slug       string          `json:"slug"`
	Title      string          `json:"title"`
	Summary    string          `json:"summary"`
	Minutes    int             `json:"minutes"`
	Prompts    []string        `json:"prompts"`
	BodyHTML   string          `json:"body_html"`
	Reflection *reflectionJSON `json:"reflection,omitempty"`
}

func stepOf(v service.ReflectionView) stepJSON {
	st := v.Step
	out := stepJSON{Number: st.Number, Slug: st.Slug, Title: st.Title, Summary: st.Summary, Minutes: st.Minutes,
		Prompts: st.Prompts, BodyHTML: string(st.Body)}
	if out.Prompts == nil {
		out.Prompts = []string{}
	}
	if !v.UpdatedAt.IsZero() {
		out.Reflection = &reflectionJSON{Text: v.Text, Done: v.Done, Shared: v.Shared, UpdatedAt: v.UpdatedAt.UTC().Format(time.RFC3339)}
	}
	return out
}

// stepOfPath reads {n}: only 1, 2, … written plainly; anything else is no
// step (0), which the service answers with ENOTFOUND.
func stepOfPath(r *http.Request) int {
	s := r.PathValue("n")
	n, err := strconv.Atoi(s)
	if err != nil || strconv.Itoa(n) != s {
		return 0
	}
	return n
}

func handleProgram(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vs, err := d.Service.Program(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]stepSummaryJSON, len(vs))
		for i, v := range vs {
			st := v.Step
			out[i] = stepSummaryJSON{Number: st.Number, Slug: st.Slug, Title: st.Title, Summary: st.Summary, Minutes: st.Minutes,
				Done: v.Done, Shared: v.Shared}
			if !v.UpdatedAt.IsZero() {
				out[i].UpdatedAt = v.UpdatedAt.UTC().Format(time.RFC3339)
			}
		}
		encode(w, http.StatusOK, map[string]any{"steps": out})
	})
}

func handleProgramStep(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := d.Service.ProgramStep(r.Context(), info(r).Actor, stepOfPath(r))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, stepOf(v))
	})
}

func handlePutReflection(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.ReflectionInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		v, err := d.Service.SaveReflection(r.Context(), info(r).Actor, stepOfPath(r), in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, stepOf(v))
	})
}

// scoreJSON is a response as the client's counselor sees it: the score,
// never the item answers.
type scoreJSON struct {
	ID          string `json:"id"`
	Instrument  string `json:"instrument"`
	Occasion    string `json:"occasion"`
	Score       int    `json:"score"`
	Band        string `json:"band"`
	Percent     *int   `json:"percent,omitempty"`
	SafetyAlert bool   `json:"safety_alert"`
	CreatedAt   string `json:"created_at"`
}

type alertJSON struct {
	ID             string          `json:"id"`
	ClientID       eyelevel.UserID `json:"client_id"`
	ClientUsername string          `json:"client_username,omitempty"`
	Source         string          `json:"source"`
	CreatedAt      string          `json:"created_at"`
}

func alertOf(a eyelevel.SafetyAlert) alertJSON {
	return alertJSON{ID: a.ID, ClientID: a.ClientID, ClientUsername: a.ClientUsername, Source: a.Source, CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339)}
}

func alertsOf(as []eyelevel.SafetyAlert) []alertJSON {
	out := make([]alertJSON, len(as))
	for i, a := range as {
		out[i] = alertOf(a)
	}
	return out
}

type sharedStepJSON struct {
	Number   int    `json:"number"`
	Title    string `json:"title"`
	Text     string `json:"text"`
	SharedAt string `json:"shared_at"`
}

type clientJSON struct {
	ID           eyelevel.UserID  `json:"id"`
	Username     string           `json:"username"`
	Scores       []scoreJSON      `json:"scores"`
	SafetyAlerts []alertJSON      `json:"safety_alerts"`
	SharedSteps  []sharedStepJSON `json:"shared_steps"`
}

func handleGetClient(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := d.Service.Client(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := clientJSON{ID: v.ID, Username: v.Username, Scores: make([]scoreJSON, len(v.Scores)),
			SafetyAlerts: alertsOf(v.Alerts), SharedSteps: make([]sharedStepJSON, len(v.Shared))}
		for i, sc := range v.Scores {
			out.Scores[i] = scoreJSON{ID: sc.ID, Instrument: sc.Instrument, Occasion: sc.Occasion, Score: sc.Score, Band: sc.Band,
				SafetyAlert: sc.Safety, CreatedAt: sc.CreatedAt.UTC().Format(time.RFC3339)}
			if sc.Result.HasPercent {
				out.Scores[i].Percent = &sc.Result.Percent
			}
		}
		for i, s := range v.Shared {
			out.SharedSteps[i] = sharedStepJSON{Number: s.Step.Number, Title: s.Step.Title, Text: s.Text, SharedAt: s.SharedAt.UTC().Format(time.RFC3339)}
		}
		encode(w, http.StatusOK, out)
	})
}

func handleSafetyAlerts(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pg, err := pageOf(r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		as, next, err := d.Service.SafetyAlertsPage(r.Context(), info(r).Actor, pg)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, listJSON("safety_alerts", alertsOf(as), next))
	})
}

// handleRaiseAlert takes no body, or an empty object.
func handleRaiseAlert(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := decodeOptional[struct{}](w, r); err != nil {
			writeError(w, r, d, err)
			return
		}
		a, err := d.Service.RaiseAlert(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, alertOf(a))
	})
}

// handleAcknowledgeAlert answers 204: there is nothing new to show, and
// acknowledging twice is no error. A body, if any, is ignored.
func handleAcknowledgeAlert(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.Service.AcknowledgeAlert(r.Context(), info(r).Actor, r.PathValue("id")); err != nil {
			writeError(w, r, d, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
