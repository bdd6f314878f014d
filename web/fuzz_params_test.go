package web

import (
	"fmt"
	"math"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// FuzzReportPeriod fuzzes the period of the buyer report and the statement
// month: an accepted period is a whole month, quarter or year starting at
// midnight UTC on the first, and its canonical name is what was given.
func FuzzReportPeriod(f *testing.F) {
	for _, s := range []string{"2026-11", "2026-Q3", "2026", "2026-13", "2026-00", "2026-Q0", "2026-Q5", "1900", "1899-Q1",
		"+026-Q1", " 202-Q1", "-001-Q1", "0000-01", "2026-1", "2026-011", "26-Q1", "final", "", "２０２６"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, ok := parseBuyerPeriod(s)
		m, monthOK := parseMonth(s)
		if monthOK && (!ok || !m.Equal(from)) {
			t.Fatalf("%q: a month for the statement but not for the report", s)
		}
		if !ok {
			return
		}
		if from.Location() != time.UTC || from.Day() != 1 || from.Hour() != 0 || from.Minute() != 0 || from.Second() != 0 || from.Nanosecond() != 0 {
			t.Fatalf("%q: starts at %v", s, from)
		}
		var canon string
		switch {
		case to.Equal(from.AddDate(0, 1, 0)):
			canon = fmt.Sprintf("%04d-%02d", from.Year(), from.Month())
		case to.Equal(from.AddDate(0, 3, 0)) && (from.Month()-1)%3 == 0:
			canon = fmt.Sprintf("%04d-Q%d", from.Year(), (from.Month()+2)/3)
		case to.Equal(from.AddDate(1, 0, 0)) && from.Month() == time.January:
			canon = fmt.Sprintf("%04d", from.Year())
		default:
			t.Fatalf("%q: %v to %v is no month, quarter or year", s, from, to)
		}
		if canon != s {
			t.Fatalf("%q: accepted as %q (%v to %v)", s, canon, from, to)
		}
	})
}

// FuzzReportTime fuzzes the impact report's from and to: an accepted bound
// written as RFC 3339 reads back as the same instant.
func FuzzReportTime(f *testing.F) {
	for _, s := range []string{"2026-01-01", "2026-12-31T23:59:59Z", "2026-06-01T10:00:00+02:00", "2026-02-30", "2026-1-1",
		"2026-01-01T00:00:00", "9999-12-31", "0000-01-01T00:00:00Z", "0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-01-01T24:00:00Z", "", "today"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, end bool) {
		tm, ok := reportTime(s, end)
		if !ok {
			return
		}
		back, err := time.Parse(time.RFC3339Nano, tm.UTC().Format(time.RFC3339Nano)) // as the report gives it back
		if err != nil || !back.Equal(tm) {
			t.Fatalf("%q: %v does not round-trip (%v)", s, tm, err)
		}
		if from, _ := reportTime(s, false); end && from.After(tm) {
			t.Fatalf("%q: as the end %v lies before the start %v", s, tm, from)
		}
	})
}

// FuzzClockInput fuzzes an <input type=time> value: accepted times lie in
// 0..1440 minutes and are written back as they were read.
func FuzzClockInput(f *testing.F) {
	for _, s := range []string{"09:00", "00:00", "24:00", "23:59", "09:00:00", "9:00", "09:60", "25:00", "+9:00", "-1:00", "09:0x", "", "12:34:56"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, end bool) {
		m, ok := parseClockInput(s, end)
		if !ok {
			return
		}
		if m < 0 || m > 24*60 || end && m == 0 {
			t.Fatalf("%q (end %v): %d minutes", s, end, m)
		}
		if m == 24*60 && !end {
			return // "24:00" as a start: the validator refuses start ≥ end
		}
		if back, ok := parseClockInput(clockValue(m), end); !ok || back != m {
			t.Fatalf("%q (end %v): %d written as %q reads %d", s, end, m, clockValue(m), back)
		}
	})
}

// FuzzAvailabilityForm fuzzes the availability editor's form: no panic,
// every accepted time in range, every problem counted, and the schedule it
// read shown in the editor again reads as the same schedule.
func FuzzAvailabilityForm(f *testing.F) {
	for _, s := range []string{
		"w1.0.start=09:00&w1.0.end=17:00", "w1.0.start=09:00&w1.0.end=00:00&w1.1.start=18:00&w1.1.end=20:00",
		"w0.0.start=25:00&w0.0.end=x", "x0.date=2026-12-24&x0.available=no", "x0.date=2026-12-24&x0.available=yes&x0.start=10:00&x0.end=12:00",
		"x0.date=&x1.date=2026-01-01", "x0.date=%20not-a-date%20&x0.start=10:00", "w1.1.start=09:00&w1.0.end=10:00", "w6.0.end=00:00:00", "",
	} {
		f.Add(s)
	}
	lang := func(key string) string { return key }
	f.Fuzz(func(t *testing.T, query string) {
		form, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		pa := parseAvailability(form, lang)
		if len(pa.weekly) != len(pa.av.Weekly) || len(pa.exception) != len(pa.av.Exceptions) {
			t.Fatalf("%q: %d weekly rows for %d windows, %d rows for %d exceptions", query, len(pa.weekly), len(pa.av.Weekly), len(pa.exception), len(pa.av.Exceptions))
		}
		problems := 0
		for _, d := range pa.form.Days {
			for _, r := range d.Rows {
				problems += countSet(r.StartErr, r.EndErr)
			}
		}
		for _, x := range pa.form.Exceptions {
			problems += countSet(x.DateErr, x.StartErr, x.EndErr)
		}
		if problems != pa.problems {
			t.Fatalf("%q: %d problems counted, %d shown", query, pa.problems, problems)
		}
		for _, w := range pa.av.Weekly {
			if w.Start < 0 || w.Start > 1440 || w.End < 1 || w.End > 1440 {
				t.Fatalf("%q: window %+v out of range", query, w)
			}
		}
		for _, e := range pa.av.Exceptions {
			if e.Start < 0 || e.Start > 1440 || e.End < 0 || e.End > 1440 || e.Date != strings.TrimSpace(e.Date) || e.Date == "" {
				t.Fatalf("%q: exception %+v out of range", query, e)
			}
		}
		if pa.problems > 0 || len(pa.av.Exceptions) > maxFormRows {
			return
		}
		for _, w := range pa.av.Weekly {
			if w.Start == 1440 {
				return // shown as 00:00, see FuzzClockInput
			}
		}
		again := parseAvailability(editorValues(editorOf(pa.av)), lang)
		if again.problems > 0 || !reflect.DeepEqual(again.av, pa.av) {
			t.Fatalf("%q: read %+v, shown and read again %+v (%d problems)", query, pa.av, again.av, again.problems)
		}
	})
}

func countSet(msgs ...string) int {
	n := 0
	for _, m := range msgs {
		if m != "" {
			n++
		}
	}
	return n
}

// editorValues is the form a browser posts for the editor data.
func editorValues(data availabilityData) url.Values {
	v := url.Values{}
	for _, d := range data.Days {
		for _, r := range d.Rows {
			v.Set(r.Name+".start", r.Start)
			v.Set(r.Name+".end", r.End)
		}
	}
	for _, x := range data.Exceptions {
		v.Set(x.Name+".date", x.Date)
		if x.Available {
			v.Set(x.Name+".available", "yes")
		}
		v.Set(x.Name+".start", x.Start)
		v.Set(x.Name+".end", x.End)
	}
	return v
}

// FuzzParseMinor fuzzes the price field of the pricing form: an accepted
// price is not negative and reads the same when written in major units.
func FuzzParseMinor(f *testing.F) {
	for _, s := range []string{"65", "65.00", "65,5", "0", "0.01", "1.234", "-1", "+1", "", ".5", "5.", "999999999", "1000000000", "1e3", " 7 ", "6,5,0", "0x10"} {
		for _, c := range []string{"EUR", "JPY", "KWD", "XXX"} {
			f.Add(s, c)
		}
	}
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, ok := parseMinor(s, currency)
		if !ok {
			return
		}
		digits, known := service.CurrencyDigits(currency)
		if !known {
			digits = 2
		}
		if m < 0 {
			t.Fatalf("%q %s: %d", s, currency, m)
		}
		unit := int64(math.Pow10(digits))
		major := strconv.FormatInt(m/unit, 10)
		if digits > 0 {
			major += fmt.Sprintf(".%0*d", digits, m%unit)
		}
		if back, ok := parseMinor(major, currency); !ok || back != m {
			t.Fatalf("%q %s: %d written as %q reads %d", s, currency, m, major, back)
		}
	})
}

// FuzzPageQuery fuzzes ?limit= and ?cursor= of the API's lists: a refused
// limit is a 400 naming the field, an accepted one is within bounds.
func FuzzPageQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10", "limit=0", "limit=-1", "limit=1000000", "limit=", "limit=x", "limit=10&limit=20", "cursor=abc&limit=5", "limit=%2B5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/api/v1/x", nil)
		r.URL.RawQuery = query
		p, err := pageOf(r)
		if err != nil {
			if statusOf(err) != 400 || eyelevel.ErrorCode(err) != eyelevel.EINVALID {
				t.Fatalf("%q: %v", query, err)
			}
			return
		}
		if p.Limit != 0 && !service.ValidLimit(p.Limit) {
			t.Fatalf("%q: limit %d", query, p.Limit)
		}
	})
}
