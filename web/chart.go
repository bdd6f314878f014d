package web

import (
	"fmt"
	"strings"
	"time"

	"eyelevel/questionnaire"
	"eyelevel/service"
)

// chart is a small line chart of one instrument's scores over time, drawn
// on the server as SVG (no script, nothing loaded), with the same numbers
// in a table as its text alternative.
type chart struct {
	Instrument string
	Name       string // short name, e.g. PHQ-9
	Percent    bool   // WHO-5 is charted in percent
	Max        int
	Higher     string // catalog key: whether higher means better or more strain
	Points     []chartPoint
	Line       string // SVG polyline points
	Ticks      []chartTick
	W, H       int
	Zone       *time.Location // the viewer's, for the dates in the table
}

type chartPoint struct {
	X, Y     float64
	Value    int
	Band     string
	Occasion string
	At       time.Time
	Safety   bool // a safety item was answered above 0: shown whatever the total
}

type chartTick struct {
	Y     float64
	Label int
}

// Chart geometry: the plot area inside the SVG's view box.
const (
	chartW, chartH    = 320, 160
	padLeft, padRight = 32, 12
	padTop, padBottom = 10, 20
	plotW, plotH      = chartW - padLeft - padRight, chartH - padTop - padBottom
	maxChartPoints    = 24
)

// chartOrder is the order of charts on a page; WHO-5 is charted in percent,
// where higher is better, the others as totals, where higher is more strain.
var chartOrder = []string{"phq9", "gad7", "who5", "phq4"}

// charts builds one chart per instrument with responses, in a fixed order,
// from the latest maxChartPoints responses each.
func charts(scores []service.Scored, zone *time.Location) []chart {
	if zone == nil {
		zone = time.UTC
	}
	var out []chart
	for _, inst := range chartOrder {
		var rs []service.Scored
		for _, s := range scores {
			if s.Instrument == inst {
				rs = append(rs, s)
			}
		}
		if len(rs) == 0 {
			continue
		}
		if len(rs) > maxChartPoints {
			rs = rs[len(rs)-maxChartPoints:]
		}
		c := newChart(inst, rs)
		c.Zone = zone
		out = append(out, c)
	}
	return out
}

func newChart(inst string, rs []service.Scored) chart {
	c := chart{Instrument: inst, Name: inst, W: chartW, H: chartH, Higher: "chart.higher_strain"}
	if f := rs[0].Form; f != nil {
		c.Name = f.ShortName
		c.Max = len(f.Items) * maxValue(f.Options)
	}
	if rs[0].Result.HasPercent {
		c.Percent, c.Max, c.Higher = true, 100, "chart.higher_better"
	}
	if c.Max <= 0 {
		c.Max = 1
	}
	step := 0.0
	if len(rs) > 1 {
		step = float64(plotW) / float64(len(rs)-1)
	}
	var line []string
	for i, r := range rs {
		v := r.Score
		if c.Percent {
			v = r.Result.Percent
		}
		p := chartPoint{
			X: padLeft + step*float64(i), Y: padTop + float64(plotH)*(1-float64(v)/float64(c.Max)),
			Value: v, Band: r.Band, Occasion: r.Occasion, At: r.CreatedAt, Safety: r.Safety,
		}
		if len(rs) == 1 {
			p.X = padLeft + plotW/2
		}
		c.Points = append(c.Points, p)
		line = append(line, fmt.Sprintf("%.1f,%.1f", p.X, p.Y))
	}
	c.Line = strings.Join(line, " ")
	for _, frac := range []int{0, 2, 4} {
		v := c.Max * frac / 4
		c.Ticks = append(c.Ticks, chartTick{Y: padTop + float64(plotH)*(1-float64(v)/float64(c.Max)), Label: v})
	}
	return c
}

func maxValue(opts []questionnaire.Option) int {
	m := 0
	for _, o := range opts {
		m = max(m, o.Value)
	}
	return m
}
