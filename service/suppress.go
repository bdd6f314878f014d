package service

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// The one home of report suppression, for the impact report and the
// buyer reports alike. A report covers one fixed calendar period, and only
// once it is over, so that no two reports differ by one person. Primary
// suppression hides every figure resting on fewer than the report's
// minimum group; secondary suppression hides a period's figure whenever
// it is hidden in any of the periods it is made of (a quarter's months, a
// year's quarters), so that the whole minus the other parts cannot
// reveal it — unless it rests on nobody: then the difference reveals only
// that the part is empty.

// period is one calendar month, quarter or year in UTC, [From, To).
type period struct {
	Name     string // "2026-11", "2026-Q3", "2026"
	From, To time.Time
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func quarterStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC)
}

func monthPeriod(from time.Time) period {
	return period{Name: fmt.Sprintf("%d-%02d", from.Year(), from.Month()), From: from, To: from.AddDate(0, 1, 0)}
}

func quarterPeriod(from time.Time) period {
	return period{Name: fmt.Sprintf("%d-Q%d", from.Year(), (from.Month()+2)/3), From: from, To: from.AddDate(0, 3, 0)}
}

func yearPeriod(from time.Time) period {
	return period{Name: strconv.Itoa(from.Year()), From: from, To: from.AddDate(1, 0, 0)}
}

// widenPeriod widens [from, to) to whole calendar periods and returns the
// one period it then spans: a month (only when months are allowed), a
// quarter or a year; ok is false for anything else.
func widenPeriod(from, to time.Time, months bool) (p period, ok bool) {
	if to.Before(from) {
		return p, false
	}
	from, last := from.UTC(), to.UTC().Add(-time.Nanosecond)
	if m := monthStart(from); months && m.Equal(monthStart(last)) {
		return monthPeriod(m), true
	}
	q, qTo := quarterStart(from), quarterStart(last).AddDate(0, 3, 0)
	switch {
	case qTo.Equal(q.AddDate(0, 3, 0)):
		return quarterPeriod(q), true
	case q.Month() == time.January && qTo.Equal(q.AddDate(1, 0, 0)):
		return yearPeriod(q), true
	}
	return p, false
}

// parts returns the periods p is made of: a year's quarters, and a
// quarter's months when months are reported.
func (p period) parts(months bool) []period {
	var out []period
	switch {
	case p.To.Equal(p.From.AddDate(1, 0, 0)):
		for q := p.From; q.Before(p.To); q = q.AddDate(0, 3, 0) {
			out = append(out, quarterPeriod(q))
		}
	case months && p.To.Equal(p.From.AddDate(0, 3, 0)):
		for m := p.From; m.Before(p.To); m = m.AddDate(0, 1, 0) {
			out = append(out, monthPeriod(m))
		}
	}
	return out
}

// statOf is a figure v resting on n people, suppressed under minGroup.
func statOf(v float64, n, minGroup int) Stat {
	if n < minGroup {
		return Stat{Suppressed: true, empty: n == 0}
	}
	return Stat{Value: round2(v), N: n}
}

// suppressLike suppresses a whole period's figure when a part's is.
func suppressLike(whole *Stat, part Stat) {
	if part.Suppressed && !part.empty {
		*whole = Stat{Suppressed: true}
	}
}

// suppressAllLike applies suppressLike to figures listed in the same order.
func suppressAllLike(whole []*Stat, part []Stat) {
	for i := range whole {
		suppressLike(whole[i], part[i])
	}
}

// suppressOutcomesLike suppresses a whole period's outcome when a part's
// outcome of the same instrument is.
func suppressOutcomesLike(whole, part []Outcome) {
	for i := range whole {
		if part[i].Suppressed && !part[i].empty {
			whole[i] = Outcome{Instrument: whole[i].Instrument, Suppressed: true}
		}
	}
}

// outcomeOf is the pre→post outcome of pairs, suppressed under minGroup.
func outcomeOf(inst string, pairs [][2]int, mult, minGroup int) Outcome {
	if len(pairs) < minGroup {
		return Outcome{Instrument: inst, Suppressed: true, empty: len(pairs) == 0}
	}
	return outcome(inst, pairs, mult)
}

// suppressComplement hides further shares of a total whose other shares
// are shown: while the hidden ones add up to fewer than minGroup (but more
// than none), the smallest shown one is hidden too, so that the total
// minus the shown shares never reveals a small group.
func suppressComplement(shares []Stat, raw []int, minGroup int) {
	idx := make([]int, len(shares))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return raw[idx[a]] < raw[idx[b]] })
	hidden := 0
	for _, i := range idx {
		if shares[i].Suppressed {
			hidden += raw[i]
		}
	}
	for _, i := range idx {
		if hidden == 0 || hidden >= minGroup {
			return
		}
		if !shares[i].Suppressed {
			shares[i] = Stat{Suppressed: true}
			hidden += raw[i]
		}
	}
}
