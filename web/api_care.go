package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"eyelevel"
	"eyelevel/questionnaire"
	"eyelevel/service"
)

// The care program's API: crisis numbers, questionnaires and responses,
// the self-test and the outcome tasks. The program steps, safety alerts,
// ratings and the impact report are in the other api_care_*.go files.

type hotlineJSON struct {
	Number string `json:"number"`
	Dial   string `json:"dial"`
	Label  string `json:"label"`
}

func handleHotlines(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := info(r).Lang
		hs := d.Service.Hotlines()
		out := make([]hotlineJSON, len(hs))
		for i, h := range hs {
			label := h.Label[lang]
			if label == "" {
				label = h.Label["en"]
			}
			if h.LabelKey != "" {
				label = d.Catalog.T(lang, h.LabelKey)
			}
			out[i] = hotlineJSON{Number: h.Number, Dial: h.Dial, Label: label}
		}
		encode(w, http.StatusOK, map[string]any{"hotlines": out, "not_emergency": d.Catalog.T(lang, "help.not_emergency")})
	})
}

// formSummaryJSON is a questionnaire in a listing.
type formSummaryJSON struct {
	ID        string `json:"id"`
	ShortName string `json:"short_name"`
	Name      string `json:"name"`
	Language  string `json:"language"`
	Validated bool   `json:"validated"`
}

type optionJSON struct {
	Value int    `json:"value"`
	Label string `json:"label"`
}

type itemJSON struct {
	Number int    `json:"number"` // 1-based, as in error fields ("answers.3")
	ID     string `json:"id"`
	Text   string `json:"text"`
	Safety bool   `json:"safety"`
}

type formJSON struct {
	formSummaryJSON
	Source          string       `json:"source"`
	TranslationNote string       `json:"translation_note"`
	Instructions    string       `json:"instructions"`
	Options         []optionJSON `json:"options"`
	Items           []itemJSON   `json:"items"`
}

func formSummaryOf(f *questionnaire.Form) formSummaryJSON {
	return formSummaryJSON{ID: f.Instrument, ShortName: f.ShortName, Name: f.Name, Language: f.Language, Validated: f.Validated}
}

func handleListQuestionnaires(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids := d.Service.Config().Instruments.Instruments()
		out := make([]formSummaryJSON, 0, len(ids))
		for _, id := range ids {
			f, err := d.Service.Form(id, info(r).Lang)
			if err != nil {
				writeError(w, r, d, err)
				return
			}
			out = append(out, formSummaryOf(f))
		}
		encode(w, http.StatusOK, map[string]any{"questionnaires": out})
	})
}

func handleGetQuestionnaire(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := d.Service.Form(r.PathValue("instrument"), info(r).Lang)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := formJSON{formSummaryJSON: formSummaryOf(f), Source: f.Source, TranslationNote: f.TranslationNote,
			Instructions: f.Instructions, Options: make([]optionJSON, len(f.Options)), Items: make([]itemJSON, len(f.Items))}
		for i, o := range f.Options {
			out.Options[i] = optionJSON{Value: o.Value, Label: o.Label}
		}
		for i, it := range f.Items {
			out.Items[i] = itemJSON{Number: i + 1, ID: it.ID, Text: it.Text, Safety: it.Safety}
		}
		encode(w, http.StatusOK, out)
	})
}

type subscaleJSON struct {
	ID       string `json:"id"`
	Score    int    `json:"score"`
	Positive bool   `json:"positive"`
}

// responseJSON is a scored response. Answers are set only for the client
// who gave them; a counselor's view (scoreJSON) has no field for them.
type responseJSON struct {
	ID                 string         `json:"id"`
	Instrument         string         `json:"instrument"`
	Language           string         `json:"language"`
	Occasion           string         `json:"occasion"`
	Score              int            `json:"score"`
	Band               string         `json:"band"`
	Percent            *int           `json:"percent,omitempty"`
	Subscales          []subscaleJSON `json:"subscales,omitempty"`
	DepressionPositive *bool          `json:"depression_positive,omitempty"`
	AnxietyPositive    *bool          `json:"anxiety_positive,omitempty"`
	SafetyAlert        bool           `json:"safety_alert"`
	SafetyItems        []int          `json:"safety_items,omitempty"`
	CreatedAt          string         `json:"created_at"`
	Answers            []int          `json:"answers,omitempty"`
}

// ownResponseOf renders one of the caller's own responses, answers included.
func ownResponseOf(sc service.Scored) responseJSON {
	out := responseJSON{
		ID: sc.ID, Instrument: sc.Instrument, Language: sc.Language, Occasion: sc.Occasion, Score: sc.Score, Band: sc.Band,
		SafetyAlert: sc.Safety, SafetyItems: sc.Result.SafetyItems, CreatedAt: sc.CreatedAt.UTC().Format(time.RFC3339),
		Answers: sc.Answers,
	}
	if sc.Result.HasPercent {
		out.Percent = &sc.Result.Percent
	}
	for _, s := range sc.Result.Subscales {
		out.Subscales = append(out.Subscales, subscaleJSON{ID: s.ID, Score: s.Score, Positive: s.Positive})
		positive := s.Positive
		switch s.ID {
		case "depression":
			out.DepressionPositive = &positive
		case "anxiety":
			out.AnxietyPositive = &positive
		}
	}
	return out
}

// parseAnswers turns JSON answers into the service's form. Each must be a
// JSON integer or null (an item left out, which the service reports);
// anything else is refused here, naming the item ("answers.3") under
// prefix. An integer too large for an int becomes one the service refuses
// as out of range.
func parseAnswers(prefix string, raw []json.RawMessage, fields map[string]string) []*int {
	if raw == nil {
		return nil
	}
	out := make([]*int, len(raw))
	for i, m := range raw {
		s := string(bytes.TrimSpace(m))
		if s == "null" {
			continue
		}
		n, err := strconv.Atoi(s)
		if errors.Is(err, strconv.ErrRange) {
			n, err = math.MaxInt, nil
			if s[0] == '-' {
				n = math.MinInt
			}
		}
		if err != nil {
			fields[prefix+"."+strconv.Itoa(i+1)] = "error.wrong_type"
			continue
		}
		out[i] = &n
	}
	return out
}

func handleSubmitResponse(d Deps) http.Handler {
	type request struct {
		Answers  []json.RawMessage `json:"answers"`
		SelfTest bool              `json:"self_test"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[request](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		p := map[string]string{}
		answers := parseAnswers("answers", in.Answers, p)
		if len(p) > 0 {
			writeError(w, r, d, eyelevel.Invalid(p))
			return
		}
		sc, err := d.Service.SubmitResponse(r.Context(), info(r).Actor, r.PathValue("instrument"), service.ResponseInput{Answers: answers, SelfTest: in.SelfTest})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, ownResponseOf(sc))
	})
}

func handleListResponses(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		instrument := r.PathValue("instrument")
		pg, err := pageOf(r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		scs, next, err := d.Service.ResponsesPage(r.Context(), info(r).Actor, instrument, pg)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		// The service lists nothing for an unknown instrument; say so.
		if _, err := d.Service.Form(instrument, info(r).Lang); err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]responseJSON, len(scs))
		for i, sc := range scs {
			out[i] = ownResponseOf(sc)
		}
		encode(w, http.StatusOK, listJSON("responses", out, next))
	})
}

func handleGetResponse(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc, err := d.Service.Response(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, ownResponseOf(sc))
	})
}

func handleSelfTest(d Deps) http.Handler {
	type request struct {
		PHQ4 []json.RawMessage `json:"phq4"`
		WHO5 []json.RawMessage `json:"who5"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[request](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		// Named like the service's own problems ("phq4.answers.3").
		p := map[string]string{}
		phq4, who5 := parseAnswers("phq4.answers", in.PHQ4, p), parseAnswers("who5.answers", in.WHO5, p)
		if len(p) > 0 {
			writeError(w, r, d, eyelevel.Invalid(p))
			return
		}
		t, err := d.Service.SubmitSelfTest(r.Context(), info(r).Actor, service.SelfTestInput{PHQ4: phq4, WHO5: who5})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, map[string]any{"phq4": ownResponseOf(t.PHQ4), "who5": ownResponseOf(t.WHO5), "advice": t.Advice})
	})
}

type taskJSON struct {
	Occasion    string   `json:"occasion"`
	Instruments []string `json:"instruments"`
	Since       string   `json:"since"`
}

func handleOutcomeTasks(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts, err := d.Service.OutcomeTasks(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]taskJSON, len(ts))
		for i, t := range ts {
			out[i] = taskJSON{Occasion: t.Occasion, Instruments: t.Instruments, Since: t.Since.UTC().Format(time.RFC3339)}
		}
		encode(w, http.StatusOK, map[string]any{"tasks": out})
	})
}

// decodeOptional is decode for a body that may be left out: an empty body
// is the zero T.
func decodeOptional[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	br := bufio.NewReader(http.MaxBytesReader(w, r.Body, maxBody))
	if _, err := br.Peek(1); err == io.EOF {
		var zero T
		return zero, nil
	}
	r.Body = io.NopCloser(br)
	return decode[T](w, r)
}
