package web

import (
	"testing"

	"eyelevel/i18n"
)

func TestDisplayLanguage(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ viewer, code, want string }{
		{"en", "fa-AF", "Dari — دری"},
		{"de", "ar", "Arabisch — العربية"},
		{"de", "de", "Deutsch"},
		{"en", "en", "English"},
		{"de", "so", "Somali — Soomaali"},
		{"en", "xx-invalid!", "xx-invalid!"},
	} {
		if got := displayLanguage(c, tc.viewer, tc.code); got != tc.want {
			t.Errorf("displayLanguage(%s, %s) = %q, want %q", tc.viewer, tc.code, got, tc.want)
		}
	}
}
