package web

import (
	"strconv"
	"time"

	"eyelevel/i18n"
)

type timeStyle int

const (
	styleDateTime timeStyle = iota // "Mon 1 Dec 2026, 09:00 (Europe/Berlin)"
	styleDate                      // "Mon 1 Dec 2026"
	styleClock                     // "09:00"
)

// formatTime is the one place dates and times are written for people: in
// the viewer's zone, 24-hour, with weekday and month names and the order
// of the parts from the catalog, so German reads "Mo., 1. Dez. 2026".
func formatTime(c *i18n.Catalog, lang string, t time.Time, loc *time.Location, style timeStyle) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	clock := t.Format("15:04")
	if style == styleClock {
		return clock
	}
	date := c.T(lang, "format.date",
		"weekday", c.T(lang, "weekday."+strconv.Itoa(int(t.Weekday()))),
		"day", strconv.Itoa(t.Day()),
		"month", c.T(lang, "month."+strconv.Itoa(int(t.Month()))),
		"year", strconv.Itoa(t.Year()))
	if style == styleDate {
		return date
	}
	return c.T(lang, "format.datetime", "date", date, "time", clock, "zone", loc.String())
}
