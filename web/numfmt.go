package web

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// numberPrinter writes numbers for readers of lang: CLDR decides the
// decimal and grouping separators (German "4,5", English "4.5"), in Latin
// digits, as dates and times are written.
func numberPrinter(lang string) *message.Printer {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	if t, err := tag.SetTypeForKey("nu", "latn"); err == nil {
		tag = t
	}
	return message.NewPrinter(tag)
}

// formatNumber is the one place numbers are written for people. v is an
// integer or a float; with digits, exactly that many fraction digits are
// shown ("4,0"), without, up to two and no trailing zeros ("4,5", "12").
func formatNumber(p *message.Printer, v any, digits ...int) string {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		return p.Sprint(v)
	}
	opts := []number.Option{number.MaxFractionDigits(2)}
	if len(digits) > 0 {
		opts = []number.Option{number.MinFractionDigits(digits[0]), number.MaxFractionDigits(digits[0])}
	}
	return p.Sprint(number.Decimal(f, opts...))
}
