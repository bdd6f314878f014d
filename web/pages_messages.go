package web

import (
	"net/http"
	"strconv"
	"strings"

	"eyelevel"
	"eyelevel/service"
)

// Pages of secure messages and the duty contact's page; the rules are the
// service's (service/messages.go, safety_duty.go).

type messagesData struct {
	Items  []service.ConversationView
	Client bool
}

// messagesPage lists the actor's conversations.
func (v *views) messagesPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		a := info(r).Actor
		cs, err := v.d.Service.Conversations(r.Context(), a)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "messages.title")
		p.Data = messagesData{Items: cs, Client: a.Role == eyelevel.RoleClient}
		v.render(w, r, http.StatusOK, "messages", p)
	})
}

type threadData struct {
	service.Thread
	Client bool
	Max    int
}

// threadPage shows one conversation with a form to write; opening it marks
// the other side's messages read.
func (v *views) threadPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		v.renderThread(w, r, newPage(r, "messages.thread_title"), nil)
	})
}

// renderThread renders the conversation of the request's user_id, after
// a failed send (sendErr) with the error on the form.
func (v *views) renderThread(w http.ResponseWriter, r *http.Request, p *page, sendErr error) {
	a := info(r).Actor
	th, err := v.d.Service.Messages(r.Context(), a, eyelevel.UserID(r.PathValue("user_id")))
	if err != nil {
		v.fail(w, r, err)
		return
	}
	p.Data = threadData{Thread: th, Client: a.Role == eyelevel.RoleClient, Max: service.MaxMessage}
	p.Self = "/messages/" + string(th.With.ID)
	v.renderAfter(w, r, "messages_thread", p, sendErr)
}

// sendMessage posts the form of a conversation.
func (v *views) sendMessage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		p := newPage(r, "messages.thread_title")
		if err := parseForm(w, r); err != nil {
			v.renderThread(w, r, p, err)
			return
		}
		p.Form = r.PostForm
		to := eyelevel.UserID(r.PathValue("user_id"))
		if _, err := v.d.Service.SendMessage(r.Context(), info(r).Actor, to, r.PostForm.Get("text")); err != nil {
			if c := eyelevel.ErrorCode(err); c == eyelevel.EINVALID || c == eyelevel.ETOOMANY {
				v.renderThread(w, r, p, err) // keeps the text
			} else {
				v.fail(w, r, err)
			}
			return
		}
		http.Redirect(w, r, "/messages/"+string(to)+"#latest", http.StatusSeeOther)
	})
}

// dutyPage shows an escalated safety alert to an admin, the duty contact.
func (v *views) dutyPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		dv, err := v.d.Service.DutyAlert(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "duty.title")
		p.Data = dutyData{DutyView: dv, Max: service.MaxMessage}
		v.render(w, r, http.StatusOK, "duty", p)
	})
}

type dutyData struct {
	service.DutyView
	Max int
}

func (v *views) acknowledgeDuty() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		id := r.PathValue("id")
		if err := v.d.Service.AcknowledgeAlert(r.Context(), info(r).Actor, id); err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/duty/"+id+"?notice=acknowledged", http.StatusSeeOther)
	})
}

// replyDaysInput reads the profile form's reply time: "" keeps the current
// one (0), anything that is not a number is refused by the service (-1).
func replyDaysInput(s string) int {
	if strings.TrimSpace(s) == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return -1
	}
	return n
}
