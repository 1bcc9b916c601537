package report

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/prometheus/common/version"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

//go:embed report.html.tmpl
var htmlTemplate string

// page is the HTML report. html/template escapes every text from the
// records by context (text, attribute, URL): a title such as
// <script>alert(1)</script> is shown as text, and a link that is not
// http(s) or relative becomes "#ZgotmplZ".
var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":        svgNumber,
	"raw":        rawNumber,
	"duration":   formatDuration,
	"percent":    formatPercent,
	"age":        formatAge,
	"mean":       formatMean,
	"medianmean": formatMedianMean,
	"date":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"upper":      upperFirst,
	"late":       lateness,
	"owner":      func(owner string) string { return cmp.Or(owner, NoOwner) },
	"share":      shareOf,
	"partial":    partialNote,
	"location":   location,
	"rolling":    func() int { return RollingPeriods },
	"kinds":      func() []string { return []string{"recover", "detect", "mitigate"} },
	"kind": func(d SeverityDurations, kind string) Durations {
		return map[string]Durations{"recover": d.Recover, "detect": d.Detect, "mitigate": d.Mitigate}[kind]
	},
	"trendRow": func(t Trends, row PeriodRow) trendRowData { return trendRowData{Trends: t, Row: row} },
	"delta": func(d Delta, kind string) string {
		return formatDelta(d, map[string]func(float64) string{"count": formatSignedCount, "points": formatPoints, "duration": formatSignedDuration}[kind])
	},
	"fixNotDone": func() string { return snapshot.RepeatFixNotDone },
	"despiteFix": func() string { return snapshot.RepeatDespiteFix },
}).Parse(htmlTemplate))

// trendRowData is a row of the per-period or rolling table with the
// columns its table has.
type trendRowData struct {
	Trends Trends
	Row    PeriodRow
}

// htmlPage is what the template renders.
type htmlPage struct {
	*Report
	Charts  []Chart
	Version string
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// (screen, phone and A4 print) and charts as inline SVG; no script, no
// request to anywhere.
func WriteHTML(w io.Writer, r *Report) error {
	if err := page.Execute(w, htmlPage{Report: r, Charts: charts(r), Version: version.Version}); err != nil {
		return fmt.Errorf("render the HTML report: %w", err)
	}
	return nil
}

// charts are the trend charts: one bar per calendar period each.
func charts(r *Report) []Chart {
	rows := r.Trends.Periods
	if len(rows) == 0 {
		return nil
	}
	periods := make([]string, len(rows))
	incidents, recover, detect, mitigate, customer := make([]float64, len(rows)), make([]float64, len(rows)), make([]float64, len(rows)),
		make([]float64, len(rows)), make([]float64, len(rows))
	for i, p := range rows {
		periods[i] = p.Period
		incidents[i] = float64(p.Incidents)
		recover[i], detect[i], mitigate[i] = p.Recover.Mean, p.Detect.Mean, p.Mitigate.Mean
		customer[i] = p.CustomerDetectedShare
	}
	top := r.Trends.TopSeverity
	out := []Chart{
		newChart("incidents", fmt.Sprintf("Incidents per %s (%s darker)", r.Trends.Unit, top), periods, incidents, 1, formatCount,
			func(i int) string {
				return fmt.Sprintf("%s: %d incidents, %d %s (%s)", rows[i].Period, rows[i].Incidents, rows[i].TopSeverity, top, formatPercent(rows[i].TopSeverityShare))
			},
			func(i int) float64 { return float64(rows[i].TopSeverity) }),
		newChart("mttr", "Mean time to recover", periods, recover, durationUnit(recover), formatDuration,
			func(i int) string { return rows[i].Period + ": " + formatMean(rows[i].Recover) }, nil),
		newChart("mttd", "Mean time to detect", periods, detect, durationUnit(detect), formatDuration,
			func(i int) string { return rows[i].Period + ": " + formatMean(rows[i].Detect) }, nil),
		newChart("mttm", "Mean time to mitigate", periods, mitigate, durationUnit(mitigate), formatDuration,
			func(i int) string { return rows[i].Period + ": " + formatMean(rows[i].Mitigate) }, nil),
	}
	if r.Trends.CustomerDetection != "" {
		out = append(out, newChart("customer", "Share detected by customers", periods, customer, 0.01, formatPercent,
			func(i int) string {
				return fmt.Sprintf("%s: %d of %d incidents (%s)", rows[i].Period, rows[i].CustomerDetected, rows[i].Incidents, formatPercent(rows[i].CustomerDetectedShare))
			}, nil))
	}
	for _, c := range out {
		for i := range c.Bars {
			if rows[i].Partial {
				c.Bars[i].Partial = true
				c.Bars[i].Note += " (" + partialNote(rows[i]) + ")"
			}
		}
	}
	return out
}

// durationUnit is the round unit of a duration axis: hours, or minutes
// when every value is below an hour.
func durationUnit(seconds []float64) float64 {
	for _, s := range seconds {
		if s >= 3600 {
			return 3600
		}
	}
	return 60
}
