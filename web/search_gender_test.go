package web

import (
	"net/http"
	"strings"
	"testing"
)

// With a gender filter that leaves nobody, while counselors of another
// gender speak the language, the search page says so and links the search
// without the filter, instead of "nobody speaks this language".
func TestSearchPageGenderFilterLeavesNobody(t *testing.T) {
	e := newPagesEnv(t)
	e.setup() // Amira, female, speaks Arabic and German
	anon := e.browser()
	p := anon.get("/counselors?language=ar&gender=male")
	mustStatus(t, "search ar, male", p, http.StatusOK)
	mustContain(t, "search ar, male", p, e.de("search.none_gender"), e.de("search.drop_gender"), `href="/counselors?language=ar"`)
	if strings.Contains(p.body, e.de("search.none")) {
		t.Error("search ar, male: says that nobody speaks the language")
	}
	// Nobody speaks Turkish at all: that message stays.
	p = anon.get("/counselors?language=tr&gender=male")
	mustStatus(t, "search tr, male", p, http.StatusOK)
	mustContain(t, "search tr, male", p, e.de("search.none"))
	if strings.Contains(p.body, e.de("search.none_gender")) {
		t.Error("search tr, male: offers other genders that do not exist")
	}
}
