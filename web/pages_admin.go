package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"eyelevel"
	"eyelevel/service"
)

type adminCounselorsData struct {
	Counselors []eyelevel.Counselor
	MailOff    bool // no --smtp: the page says that no mail is sent
}

func (v *views) adminCounselors() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/counselors") {
			return
		}
		cs, err := v.d.Service.Counselors(r.Context(), info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "admin.counselors.title")
		p.Data = adminCounselorsData{Counselors: cs, MailOff: !v.d.Service.MailOn()}
		v.render(w, r, http.StatusOK, "admin_counselors", p)
	})
}

// newCounselorData feeds the counselor form, which creates a counselor
// (account and profile) or, with Edit, changes a profile.
type newCounselorData struct {
	Languages []option
	Genders   []eyelevel.Gender
	Zone      zoneData
	Edit      bool
	Action    string
}

func (v *views) renderNewCounselor(w http.ResponseWriter, r *http.Request, status int, p *page) {
	p.Self = "/admin/counselors/new"
	v.renderCounselorForm(w, r, status, p, false, p.Self)
}

func (v *views) renderCounselorForm(w http.ResponseWriter, r *http.Request, status int, p *page, edit bool, action string) {
	p.Data = newCounselorData{
		Languages: serviceLanguages(),
		Genders:   []eyelevel.Gender{eyelevel.GenderFemale, eyelevel.GenderMale, eyelevel.GenderDiverse},
		Zone:      zoneChoice(p.Form),
		Edit:      edit,
		Action:    action,
	}
	v.render(w, r, status, "admin_new_counselor", p)
}

// profileURL is where a counselor's profile is edited: /profile for their
// own, with ?counselor= for an admin.
func profileURL(r *http.Request, id eyelevel.UserID) string {
	if id == info(r).Actor.UserID {
		return "/profile"
	}
	return "/profile?counselor=" + url.QueryEscape(string(id))
}

// profileForm shows a counselor's profile for editing.
func (v *views) profileForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		id, ok := pickCounselor(w, r)
		if !ok {
			return
		}
		c, err := v.d.Service.EditableCounselor(r.Context(), info(r).Actor, id)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "profile.title")
		p.Self = profileURL(r, c.ID)
		f := p.Form
		f.Set("display_name", c.DisplayName)
		f.Set("gender", string(c.Gender))
		f.Set("timezone", c.TimeZone)
		if !slices.Contains(commonZones, c.TimeZone) {
			f.Set("timezone_other", c.TimeZone)
		}
		f.Set("bio", c.Bio)
		f.Set("qualifications", c.Qualifications)
		f.Set("reply_days", strconv.Itoa(c.ReplyDays))
		var other []string
		for _, l := range c.Languages {
			switch {
			case service.IsUILanguage(l.Code):
				f.Set("lang."+l.Code, "yes")
				if l.Native {
					f.Set("native."+l.Code, "yes")
				}
			case l.Native:
				other = append(other, l.Code+"*")
			default:
				other = append(other, l.Code)
			}
		}
		f.Set("other_languages", strings.Join(other, ", "))
		v.renderCounselorForm(w, r, http.StatusOK, p, true, p.Self)
	})
}

func (v *views) saveProfile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		id := editedCounselor(r, r.URL.Query().Get("counselor"))
		in := service.ProfileInput{
			DisplayName: f.Get("display_name"), Gender: eyelevel.Gender(f.Get("gender")),
			Languages: formLanguages(f), TimeZone: zoneInput(f), Bio: f.Get("bio"), Qualifications: f.Get("qualifications"),
			ReplyDays: replyDaysInput(f.Get("reply_days")),
		}
		if _, err := v.d.Service.UpdateCounselor(r.Context(), info(r).Actor, id, in); err != nil {
			p := newPage(r, "profile.title")
			if !v.formError(r, p, err) || eyelevel.ErrorCode(err) == eyelevel.EFORBIDDEN || eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
				v.fail(w, r, err)
				return
			}
			names := []string{"display_name", "gender", "timezone", "timezone_other", "bio", "qualifications", "other_languages", "reply_days"}
			for _, code := range service.UILanguages {
				names = append(names, "lang."+code, "native."+code)
			}
			p.Form = keep(f, names...)
			p.Self = profileURL(r, id)
			v.renderCounselorForm(w, r, statusOf(err), p, true, p.Self)
			return
		}
		sep := "?"
		if strings.Contains(profileURL(r, id), "?") {
			sep = "&"
		}
		http.Redirect(w, r, profileURL(r, id)+sep+"notice=saved", http.StatusSeeOther)
	})
}

func (v *views) newCounselorForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/counselors/new") {
			return
		}
		// Listing counselors is admin-only too: asking the service keeps the
		// rule of who may manage counselors in one place.
		if _, err := v.d.Service.Counselors(r.Context(), info(r).Actor); err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "admin.new.title")
		p.Form.Set("timezone", defaultZone)
		v.renderNewCounselor(w, r, http.StatusOK, p)
	})
}

// formLanguages reads the language checkboxes ("lang.ar", "native.ar") and
// the free text of other codes, where a trailing * marks a native language.
func formLanguages(f url.Values) []eyelevel.LanguageSkill {
	var out []eyelevel.LanguageSkill
	for _, code := range service.UILanguages {
		native := f.Get("native."+code) != ""
		if f.Get("lang."+code) != "" || native {
			out = append(out, eyelevel.LanguageSkill{Code: code, Native: native})
		}
	}
	other := strings.FieldsFunc(f.Get("other_languages"), func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	for _, code := range other {
		code, native := strings.CutSuffix(code, "*")
		out = append(out, eyelevel.LanguageSkill{Code: code, Native: native})
	}
	return out
}

func (v *views) createCounselor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/counselors/new") {
			return
		}
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		in := service.CounselorInput{
			Username: f.Get("username"), Password: f.Get("password"), DisplayName: f.Get("display_name"),
			Gender: eyelevel.Gender(f.Get("gender")), Languages: formLanguages(f), TimeZone: zoneInput(f),
			Bio: f.Get("bio"), Qualifications: f.Get("qualifications"), Email: strings.TrimSpace(f.Get("email")),
		}
		if _, err := v.d.Service.CreateCounselor(r.Context(), info(r).Actor, in); err != nil {
			p := newPage(r, "admin.new.title")
			if !v.formError(r, p, err) || eyelevel.ErrorCode(err) == eyelevel.EFORBIDDEN {
				v.fail(w, r, err)
				return
			}
			if eyelevel.ErrorCode(err) == eyelevel.ECONFLICT {
				p.Fields["username"] = p.Message // the only unique field
			}
			names := []string{"username", "display_name", "gender", "timezone", "timezone_other", "bio", "qualifications", "email", "other_languages"}
			for _, code := range service.UILanguages {
				names = append(names, "lang."+code, "native."+code)
			}
			p.Form = keep(f, names...)
			v.renderNewCounselor(w, r, statusOf(err), p)
			return
		}
		http.Redirect(w, r, "/admin/counselors?notice=created", http.StatusSeeOther)
	})
}
