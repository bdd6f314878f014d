package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseHotlines fuzzes the --hotlines file: an accepted file lists at
// least one number, every entry can be called (dial is digits with an
// optional leading +) and named in English, and it reads the same after
// being written out again.
func FuzzParseHotlines(f *testing.F) {
	for _, s := range []string{
		`[{"number":"144","dial":"144","label":{"en":"Ambulance","de":"Sanität"}}]`,
		`[{"number":"0800 111 0 111","dial":"+498001110111","label":{"en":"Telefonseelsorge"}},{"number":"116 123","dial":"116123","label":{"en":"Help line","ar":"خط المساعدة"}}]`,
		`[]`, `null`, `{}`, `[{"number":"112","dial":"112"}]`, `[{"number":"112","dial":"javascript:alert(1)","label":{"en":"x"}}]`,
		`[{"number":"112","dial":"112 oder 110","label":{"en":"x"}}]`, `[{"number":"112","dial":"1+12","label":{"en":"x"}}]`,
		`[{"number":" ","dial":"112","label":{"en":"x"}}]`, `[{"number":"112","dial":"112","label":{"en":" "}}]`,
		`[{"number":"112","dial":"112","label":{"en":"x"}}] [1]`, `[{"number":"112","dial":"112","label":{"en":"x"},"extra":1}]`,
		`[{"number":"112","dial":"112","label":{"en":"x"}}`, ``, `[{"number":"112","dial":"١١٢","label":{"en":"x"}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lines, err := parseHotlines(body)
		if err != nil {
			return
		}
		if len(lines) == 0 {
			t.Fatalf("%q: accepted no numbers", body)
		}
		for _, h := range lines {
			dial := strings.TrimPrefix(h.Dial, "+")
			if dial == "" || strings.Trim(dial, "0123456789") != "" || strings.TrimSpace(h.Number) == "" || strings.TrimSpace(h.Label["en"]) == "" {
				t.Fatalf("%q: accepted %+v", body, h)
			}
		}
		again, err := json.Marshal(lines)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseHotlines(again)
		if err != nil || !reflect.DeepEqual(back, lines) {
			t.Fatalf("%q: written as %s reads %+v, %v", body, again, back, err)
		}
	})
}
