package web

import "testing"

// TestFormatMoney: amounts in minor units are written with the currency's
// digits and the page language's separators, followed by the ISO code.
func TestFormatMoney(t *testing.T) {
	for _, c := range []struct {
		lang     string
		amount   int64
		currency string
		want     string
	}{
		{"de", 19500, "EUR", "195,00\u00a0EUR"},
		{"en", 19500, "EUR", "195.00\u00a0EUR"},
		{"de", 123456789, "EUR", "1.234.567,89\u00a0EUR"},
		{"en", 6550, "CHF", "65.50\u00a0CHF"},
		{"en", 6500, "JPY", "6,500\u00a0JPY"},
		{"ar", 6500, "EUR", "65.00\u00a0EUR"},
		{"ru", 6500, "EUR", "65,00\u00a0EUR"},
	} {
		if got := formatMoney(numberPrinter(c.lang), c.amount, c.currency); got != c.want {
			t.Errorf("%s %d %s: %q, want %q", c.lang, c.amount, c.currency, got, c.want)
		}
	}
}

// TestParseMinor: the admin's price in major units becomes minor units;
// anything else is refused.
func TestParseMinor(t *testing.T) {
	for _, c := range []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"65", "EUR", 6500, true},
		{"65.5", "EUR", 6550, true},
		{"65,50", "EUR", 6550, true},
		{" 0 ", "EUR", 0, true},
		{"6500", "JPY", 6500, true},
		{"65.5", "JPY", 0, false},
		{"65.555", "EUR", 0, false},
		{"-1", "EUR", 0, false},
		{"-0.50", "EUR", 0, false},
		{"+5", "EUR", 0, false},
		{"", "EUR", 0, false},
		{"abc", "EUR", 0, false},
		{"1.2.3", "EUR", 0, false},
		{"1e3", "EUR", 0, false},
		{"9999999999", "EUR", 0, false},
	} {
		got, ok := parseMinor(c.in, c.currency)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("parseMinor(%q, %s) = %d, %v; want %d, %v", c.in, c.currency, got, ok, c.want, c.ok)
		}
	}
}
