package web

import (
	"net/http"
	"time"

	"eyelevel/service"
)

type mailProblemJSON struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	To        string  `json:"to"` // masked
	Created   string  `json:"created"`
	Attempts  int     `json:"attempts"`
	LastError string  `json:"last_error"`
	GivenUp   bool    `json:"given_up"`
	NextTry   *string `json:"next_try"`
}

type mailStatusJSON struct {
	MailOn   bool              `json:"mail_on"`
	Notice   string            `json:"notice,omitempty"` // when mail is off, in the caller's language
	Waiting  int               `json:"waiting"`
	Sent24h  int               `json:"sent_24h"`
	GivenUp  int               `json:"given_up"`
	Problems []mailProblemJSON `json:"problems"`
}

func toMailStatusJSON(d Deps, lang string, st service.MailStatus) mailStatusJSON {
	out := mailStatusJSON{MailOn: st.On, Waiting: st.Waiting, Sent24h: st.Sent24h, GivenUp: st.Failed, Problems: []mailProblemJSON{}}
	if !st.On {
		out.Notice = d.Catalog.T(lang, "admin_mail.off")
	}
	for _, p := range st.Troubled {
		j := mailProblemJSON{ID: p.ID, Kind: p.Kind, To: p.To, Created: p.CreatedAt.UTC().Format(time.RFC3339),
			Attempts: p.Attempts, LastError: p.LastError, GivenUp: p.GivenUp}
		if !p.NextAt.IsZero() {
			s := p.NextAt.UTC().Format(time.RFC3339)
			j.NextTry = &s
		}
		out.Problems = append(out.Problems, j)
	}
	return out
}

// handleMailStatus is the outbox for admins: counts and the mails that
// failed, never a body. Everyone else gets 404.
func handleMailStatus(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := d.Service.MailStatus(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, toMailStatusJSON(d, info(r).Lang, st))
	})
}

// handleRetryMail tries a given-up mail again.
func handleRetryMail(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.Service.RetryMail(r.Context(), info(r).Actor, r.PathValue("id")); err != nil {
			writeError(w, r, d, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
