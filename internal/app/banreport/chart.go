package banreport

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// chart is one SVG picture, as primitives the template draws.
type chart struct {
	Title  string
	W, H   int
	Rects  []rect
	Lines  []polyline
	Texts  []text
	Rules  []rule
	NoData bool
}

type rect struct {
	X, Y, W, H float64
	Class      string
	Tip        string
}

type polyline struct {
	Points string
	Class  string
	Tip    string
}

type text struct {
	X, Y   float64
	Anchor string // start, middle, end
	Class  string
	Text   string
}

type rule struct{ X1, Y1, X2, Y2 float64 }

const chartWidth = 720

// palette classes of the series; the CSS gives their colours.
const nClasses = 10

func seriesClass(i int, name string) string {
	if name == otherSeries {
		return "cx"
	}
	return "c" + strconv.Itoa(i%nClasses)
}

// truncate shortens s to n runes with an ellipsis.
func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v int64) int64 {
	if v <= 0 {
		return 1
	}
	p := int64(math.Pow(10, math.Floor(math.Log10(float64(v)))))
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// barChart draws horizontal bars, one row per label.
func barChart(title string, labels []string, values []int64) chart {
	const row, top, left, right = 22, 8, 230, 90
	c := chart{Title: title, W: chartWidth, H: top*2 + row*max(len(labels), 1)}
	if len(labels) == 0 {
		c.NoData = true
		c.Texts = append(c.Texts, text{X: chartWidth / 2, Y: float64(c.H)/2 + 5, Anchor: "middle", Class: "muted", Text: "no data"})
		return c
	}
	vmax := slices.Max(values)
	span := float64(chartWidth - left - right)
	for i, l := range labels {
		y := float64(top + i*row)
		w := math.Max(1, span*float64(values[i])/float64(max(vmax, 1)))
		c.Rects = append(c.Rects, rect{X: left, Y: y + 3, W: w, H: row - 6, Class: "c0", Tip: l + ": " + fmtInt(values[i])})
		c.Texts = append(c.Texts,
			text{X: left - 8, Y: y + row/2 + 4, Anchor: "end", Text: truncate(l, 32)},
			text{X: left + w + 6, Y: y + row/2 + 4, Anchor: "start", Class: "num", Text: fmtInt(values[i])})
	}
	return c
}

// columnChart draws vertical bars over labels; every labelEvery-th label is
// written (0: all).
func columnChart(title string, labels []string, values []int64, labelEvery int) chart {
	const h, top, bottom, left, right = 200, 16, 34, 56, 12
	c := chart{Title: title, W: chartWidth, H: h}
	vmax := slices.Max(values)
	ymax := niceMax(vmax)
	plotH := float64(h - top - bottom)
	slot := float64(chartWidth-left-right) / float64(len(labels))
	c.Rules = append(c.Rules, rule{left, float64(h - bottom), chartWidth - right, float64(h - bottom)})
	c.Texts = append(c.Texts,
		text{X: left - 6, Y: float64(top) + 4, Anchor: "end", Class: "num", Text: fmtInt(ymax)},
		text{X: left - 6, Y: float64(h-bottom) + 4, Anchor: "end", Class: "num", Text: "0"})
	for i, l := range labels {
		x := float64(left) + slot*float64(i)
		bh := plotH * float64(values[i]) / float64(ymax)
		if values[i] > 0 {
			c.Rects = append(c.Rects, rect{X: x + slot*0.15, Y: float64(h-bottom) - bh, W: slot * 0.7, H: bh, Class: "c0", Tip: l + ": " + fmtInt(values[i])})
		}
		if labelEvery == 0 || i%labelEvery == 0 {
			c.Texts = append(c.Texts, text{X: x + slot/2, Y: float64(h-bottom) + 16, Anchor: "middle", Text: l})
		}
	}
	if vmax == 0 {
		c.NoData = true
		c.Texts = append(c.Texts, text{X: chartWidth / 2, Y: float64(h) / 2, Anchor: "middle", Class: "muted", Text: "no data"})
	}
	return c
}

// timeCharts draws failures and bans over time, one step line per jail.
func timeCharts(c *collector, loc *time.Location) ([]legendItem, chart, chart, string) {
	tl := c.timeline
	names := make([]string, 0, len(tl.series))
	totals := make(map[string]int64)
	for n, s := range tl.series {
		names = append(names, n)
		for _, v := range s.fail {
			totals[n] += v
		}
		for _, v := range s.ban {
			totals[n] += v
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if (a == otherSeries) != (b == otherSeries) {
			if a == otherSeries {
				return 1
			}
			return -1
		}
		if totals[a] != totals[b] {
			if totals[a] > totals[b] {
				return -1
			}
			return 1
		}
		return compareString(a, b)
	})
	var legend []legendItem
	for i, n := range names {
		legend = append(legend, legendItem{Name: n, Class: seriesClass(i, n)})
	}
	fail := lineChart("Failures over time", tl, names, loc, func(s *series) map[int64]int64 { return s.fail })
	ban := lineChart("Bans over time", tl, names, loc, func(s *series) map[int64]int64 { return s.ban })
	return legend, fail, ban, bucketName(tl.width)
}

func lineChart(title string, tl *timeline, names []string, loc *time.Location, pick func(*series) map[int64]int64) chart {
	const h, top, bottom, left, right = 220, 16, 34, 56, 16
	c := chart{Title: title, W: chartWidth, H: h}
	var vmax int64
	for _, n := range names {
		for _, v := range pick(tl.series[n]) {
			vmax = max(vmax, v)
		}
	}
	c.Rules = append(c.Rules, rule{left, float64(h - bottom), chartWidth - right, float64(h - bottom)},
		rule{left, float64(top), left, float64(h - bottom)})
	if !tl.any || vmax == 0 {
		c.NoData = true
		c.Texts = append(c.Texts, text{X: chartWidth / 2, Y: float64(h) / 2, Anchor: "middle", Class: "muted", Text: "no data"})
		return c
	}
	ymax := niceMax(vmax)
	n := tl.hi - tl.lo + 1
	plotW, plotH := float64(chartWidth-left-right), float64(h-top-bottom)
	x := func(i int64) float64 { return float64(left) + plotW*float64(i-tl.lo)/float64(n) }
	y := func(v int64) float64 { return float64(h-bottom) - plotH*float64(v)/float64(ymax) }
	c.Texts = append(c.Texts,
		text{X: left - 6, Y: float64(top) + 4, Anchor: "end", Class: "num", Text: fmtInt(ymax)},
		text{X: left - 6, Y: float64(h-bottom) + 4, Anchor: "end", Class: "num", Text: "0"})
	c.Rules = append(c.Rules, rule{left, y(ymax / 2), chartWidth - right, y(ymax / 2)})
	// Time labels at five places; the date only when the span is over a day.
	start, end := time.Unix(tl.lo*tl.width, 0).In(loc), time.Unix((tl.hi+1)*tl.width, 0).In(loc)
	layout := "15:04"
	if end.Sub(start) > 24*time.Hour {
		layout = "Jan 2 15:04"
	}
	if end.Sub(start) > 10*24*time.Hour {
		layout = "Jan 2"
	}
	if end.Year() != start.Year() {
		layout = "2006-01-02"
	}
	for k := 0; k <= 4; k++ {
		t := start.Add(time.Duration(float64(end.Sub(start)) * float64(k) / 4))
		anchor := "middle"
		switch k {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		c.Texts = append(c.Texts, text{X: float64(left) + plotW*float64(k)/4, Y: float64(h-bottom) + 18, Anchor: anchor, Text: t.Format(layout)})
	}
	for si, name := range names {
		m := pick(tl.series[name])
		if len(m) == 0 {
			continue
		}
		var b strings.Builder
		var total int64
		for i := tl.lo; i <= tl.hi; i++ {
			v := m[i]
			total += v
			fmt.Fprintf(&b, "%.1f,%.1f %.1f,%.1f ", x(i), y(v), x(i+1), y(v))
		}
		c.Lines = append(c.Lines, polyline{Points: strings.TrimSpace(b.String()), Class: seriesClass(si, name), Tip: name + ": " + fmtInt(total)})
	}
	return c
}
