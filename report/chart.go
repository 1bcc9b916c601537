package report

import (
	"math"
	"strconv"
)

// Chart is a bar chart with one bar per calendar period, drawn as inline
// SVG by the HTML template: coordinates are in the viewBox's units.
type Chart struct {
	ID, Title     string
	Width, Height float64
	Bars          []Bar
	Ticks         []Tick
	// PlotLeft, PlotRight, PlotTop and PlotBottom frame the bars.
	PlotLeft, PlotRight, PlotTop, PlotBottom float64
}

// Bar is one period's bar. Part, when not zero, is the height of a
// highlighted share drawn over its bottom (the top severity's incidents).
type Bar struct {
	Period       string
	Value        float64 // the raw figure: a count, seconds or a ratio
	Label        string  // Value as shown above the bar
	Note         string  // the tooltip: period, value and sample size
	Partial      bool    // the current period, which has not ended: "so far"
	X, Y, W, H   float64
	PartY, PartH float64
	LabelX       float64
}

// Tick is a line and label of the value axis.
type Tick struct {
	Y     float64
	Label string
}

// Chart geometry, in viewBox units.
const (
	chartHeight   = 220
	chartTop      = 18
	chartBottom   = 170 // the value axis' zero
	chartLeft     = 52
	chartRight    = 12
	barSpacing    = 46
	barFill       = 0.66 // of the spacing
	chartMinWidth = 320
)

// newChart lays out one bar per value; the axis has round numbers of
// unit (3600 for seconds shown in hours), format shows a value, note gives
// a bar's tooltip and part the highlighted share of a bar (nil for none).
func newChart(id, title string, periods []string, values []float64, unit float64, format func(float64) string,
	note func(i int) string, part func(i int) float64) Chart {
	n := len(values)
	width := math.Max(chartMinWidth, chartLeft+chartRight+barSpacing*float64(n))
	c := Chart{ID: id, Title: title, Width: width, Height: chartHeight,
		PlotLeft: chartLeft, PlotRight: width - chartRight, PlotTop: chartTop, PlotBottom: chartBottom}
	scaled := make([]float64, n)
	for i, v := range values {
		scaled[i] = v / unit
	}
	top, step := axis(scaled)
	top, step = top*unit, step*unit
	scale := func(v float64) float64 { return (chartBottom - chartTop) * v / top }
	for v := 0.0; v <= top+step/2; v += step {
		c.Ticks = append(c.Ticks, Tick{Y: chartBottom - scale(v), Label: format(v)})
	}
	slot := (c.PlotRight - c.PlotLeft) / math.Max(1, float64(n))
	for i, v := range values {
		b := Bar{Period: periods[i], Value: v, Label: format(v), Note: note(i)}
		b.W = slot * barFill
		b.X = c.PlotLeft + slot*float64(i) + (slot-b.W)/2
		b.H = scale(v)
		b.Y = chartBottom - b.H
		b.LabelX = b.X + b.W/2
		if part != nil {
			b.PartH = scale(part(i))
			b.PartY = chartBottom - b.PartH
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// axis returns the top of the value axis and its step: a round number at
// or above the largest value, in four or five steps of 1, 2 or 5 × 10ⁿ.
func axis(values []float64) (top, step float64) {
	highest := 0.0
	for _, v := range values {
		highest = math.Max(highest, v)
	}
	if highest <= 0 {
		return 1, 0.25
	}
	raw := highest / 4
	magnitude := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		step = m * magnitude
		if step >= raw {
			break
		}
	}
	return step * math.Ceil(highest/step), step
}

// svgNumber prints a coordinate with at most one decimal.
func svgNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}
