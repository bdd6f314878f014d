package web_test

import (
	"strings"
	"testing"
)

// The API marks an empty result that only the gender filter emptied.
func TestSearchAPIGenderFilterLeavesNobody(t *testing.T) {
	w := newWorld(t) // both counselors are female; Y speaks Arabic
	for query, want := range map[string]string{
		"?language=ar&gender=male":    `{"counselors":[],"other_genders":true}`,
		"?language=tr&gender=male":    `{"counselors":[]}`,
		"?language=tr":                `{"counselors":[]}`,
		"?language=fa-AF&gender=male": `{"counselors":[]}`,
	} {
		r := w.do(t, clientA, "GET", "/api/v1/counselors"+query, nil)
		r.wantStatus(t, 200)
		if got := strings.TrimSpace(string(r.Body)); got != want {
			t.Errorf("%s: %s, want %s", query, got, want)
		}
	}
}
