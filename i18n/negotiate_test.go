package i18n

import (
	"testing"
	"testing/fstest"
)

// allCatalogs is a catalog set with every UI language, so negotiation is
// tested independently of which translations exist yet.
func allCatalogs(t *testing.T) *Catalog {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, l := range All {
		fsys["catalog/"+l.Code+".json"] = &fstest.MapFile{Data: []byte(`{"k":{"text":"` + l.Code + `"}}`)}
	}
	c, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNegotiate(t *testing.T) {
	c := allCatalogs(t)
	for _, tc := range []struct{ explicit, account, accept, want string }{
		{"", "", "", "de"},
		{"", "", "fa-IR", "fa"},
		{"", "", "fa", "fa"},
		{"", "", "fa-AF", "fa-AF"},
		{"", "", "prs", "fa-AF"},
		{"", "", "prs-AF", "fa-AF"},
		{"", "", "ku", "kmr"},
		{"", "", "kmr-TR", "kmr"},
		{"", "", "ar-SY,ar;q=0.9", "ar"},
		{"", "", "ps-AF", "ps"},
		{"", "", "tr-TR", "tr"},
		{"", "", "ru-RU,ru;q=0.9,en;q=0.5", "ru"},
		{"", "", "uk-UA", "uk"},
		{"", "", "en-GB,en;q=0.9", "en"},
		{"", "", "de-AT", "de"},
		{"", "", "fr-FR,fr;q=0.9", "de"}, // nothing we offer: German
		{"", "", "fr-FR,en;q=0.5", "en"}, // the first we offer
		{"", "", "zz;;;garbage", "de"},
		{"", "ar", "en", "ar"},   // the account beats the browser
		{"uk", "ar", "en", "uk"}, // an explicit choice beats the account
		{"xx", "ar", "en", "ar"}, // an unknown explicit choice is ignored
		{"", "xx", "tr", "tr"},   // as is an unknown account setting
		{"fa-AF", "", "", "fa-AF"},
	} {
		if got := c.Negotiate(tc.explicit, tc.account, tc.accept); got != tc.want {
			t.Errorf("Negotiate(%q, %q, %q) = %q, want %q", tc.explicit, tc.account, tc.accept, got, tc.want)
		}
	}
}

func TestDir(t *testing.T) {
	for code, want := range map[string]string{"ar": "rtl", "fa": "rtl", "fa-AF": "rtl", "ps": "rtl", "de": "ltr", "en": "ltr", "tr": "ltr", "ru": "ltr", "uk": "ltr", "kmr": "ltr"} {
		if got := Dir(code); got != want {
			t.Errorf("Dir(%s) = %s, want %s", code, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "one"}, {"en", 2, "other"}, {"de", 0, "other"},
		{"ru", 1, "one"}, {"ru", 3, "few"}, {"ru", 5, "many"}, {"ru", 21, "one"},
		{"uk", 22, "few"}, {"uk", 11, "many"},
		{"ar", 0, "zero"}, {"ar", 2, "two"}, {"ar", 3, "few"}, {"ar", 11, "many"}, {"ar", 100, "other"},
		{"tr", 1, "one"}, {"fa", 1, "one"}, {"fa", 2, "other"}, {"kmr", 1, "one"}, {"kmr", 2, "other"},
	} {
		if got := pluralForm(tc.lang, tc.n); got != tc.want {
			t.Errorf("pluralForm(%s, %d) = %s, want %s", tc.lang, tc.n, got, tc.want)
		}
	}
}
