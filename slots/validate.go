package slots

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"eyelevel"
)

// Translation keys Validate puts in its result.
const (
	KeyTime          = "availability.err.time"            // minutes outside 0..1440
	KeyOrder         = "availability.err.order"           // start not before end
	KeyOverlap       = "availability.err.overlap"         // overlaps another window of the weekday
	KeyShort         = "availability.err.short"           // window shorter than one session
	KeyWeekday       = "availability.err.weekday"         // weekday outside 0..6
	KeyDate          = "availability.err.date"            // not a YYYY-MM-DD date
	KeyWholeDayExtra = "availability.err.whole_day_extra" // extra hours without times
	KeyTooMany       = "availability.err.too_many"        // list too long
	KeyDuplicate     = "availability.err.duplicate"       // same exception twice
)

// Limits on the size of an availability, to bound storage and computation.
const (
	MaxWeekly     = 100
	MaxExceptions = 500
)

// Validate checks av and returns problems per field, keyed like
// "weekly[2].end" or "exceptions[0].date", with translation keys as values.
// A too-long list is reported under "weekly" or "exceptions" alone. It
// returns nil when av is valid.
func Validate(av eyelevel.Availability, r Rules) map[string]string {
	errs := map[string]string{}
	if len(av.Weekly) > MaxWeekly {
		errs["weekly"] = KeyTooMany
	}
	if len(av.Exceptions) > MaxExceptions {
		errs["exceptions"] = KeyTooMany
	}
	if len(errs) > 0 {
		return errs // per-item checks on a huge list would only flood the form
	}

	type indexed struct {
		i int
		eyelevel.WeeklyWindow
	}
	var byDay [7][]indexed
	for i, w := range av.Weekly {
		f := fmt.Sprintf("weekly[%d].", i)
		ok := true
		if w.Weekday < time.Sunday || w.Weekday > time.Saturday {
			errs[f+"weekday"] = KeyWeekday
			ok = false
		}
		if !timeOK(w.Start, w.End, f, errs) {
			continue
		}
		if w.Start >= w.End {
			errs[f+"end"] = KeyOrder
			continue
		}
		if time.Duration(w.End-w.Start)*time.Minute < r.Length {
			errs[f+"end"] = KeyShort
		}
		if ok {
			byDay[w.Weekday] = append(byDay[w.Weekday], indexed{i, w})
		}
	}
	for _, ws := range byDay {
		slices.SortStableFunc(ws, func(a, b indexed) int { return a.Start - b.Start })
		end := -1
		for _, w := range ws {
			if w.Start < end {
				errs[fmt.Sprintf("weekly[%d].start", w.i)] = KeyOverlap
			}
			end = max(end, w.End)
		}
	}

	seen := make(map[eyelevel.Exception]bool, len(av.Exceptions))
	for i, e := range av.Exceptions {
		f := fmt.Sprintf("exceptions[%d].", i)
		ok := true
		if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
			errs[f+"date"] = KeyDate
			ok = false
		}
		switch {
		case !timeOK(e.Start, e.End, f, errs):
			ok = false
		case e.Start == 0 && e.End == 0:
			if e.Available {
				errs[f+"start"] = KeyWholeDayExtra
				ok = false
			}
		case e.Start >= e.End:
			errs[f+"end"] = KeyOrder
			ok = false
		}
		if ok {
			if seen[e] {
				errs[f+"date"] = KeyDuplicate
			}
			seen[e] = true
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// timeOK records KeyTime for start or end outside 0..1440 under prefix f.
func timeOK(start, end int, f string, errs map[string]string) bool {
	ok := true
	if start < 0 || start > dayMinutes {
		errs[f+"start"] = KeyTime
		ok = false
	}
	if end < 0 || end > dayMinutes {
		errs[f+"end"] = KeyTime
		ok = false
	}
	return ok
}

// ParseClock parses "HH:MM" (00:00 to 24:00, two digits each, as sent by
// HTML time inputs) to minutes after midnight.
func ParseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("slots: clock time %q is not HH:MM", s)
	}
	h, err1 := strconv.ParseUint(s[:2], 10, 8)
	m, err2 := strconv.ParseUint(s[3:], 10, 8)
	if err1 != nil || err2 != nil || h > 24 || m > 59 || h == 24 && m != 0 {
		return 0, fmt.Errorf("slots: clock time %q is out of range", s)
	}
	return int(h)*60 + int(m), nil
}

// FormatClock formats minutes after midnight (0..1440) as "HH:MM"; it is the
// inverse of ParseClock.
func FormatClock(min int) string {
	return fmt.Sprintf("%02d:%02d", min/60, min%60)
}
