package report

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// formatDuration shows seconds as a person reads them: 45s, 12m, 3h 5m,
// 2.5d. The duration is rounded once, to the unit shown (rounding to whole
// seconds first would show 27.496 minutes as 28m).
func formatDuration(seconds float64) string {
	minutes := math.Round(seconds / 60)
	switch {
	case math.Round(seconds) < 60:
		return fmt.Sprintf("%.0fs", math.Round(seconds))
	case minutes < 60:
		return fmt.Sprintf("%.0fm", minutes)
	case minutes < 48*60:
		m := int(minutes)
		if m%60 == 0 {
			return fmt.Sprintf("%dh", m/60)
		}
		return fmt.Sprintf("%dh %dm", m/60, m%60)
	default:
		return strconv.FormatFloat(math.Round(seconds/8640)/10, 'f', -1, 64) + "d"
	}
}

// formatAge shows a duration of days, such as an age: 3d, or 5h under a day.
func formatAge(d time.Duration) string {
	if d < 24*time.Hour {
		return fmt.Sprintf("%.0fh", d.Hours())
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// formatPercent shows a ratio as a whole percentage.
func formatPercent(ratio float64) string {
	return fmt.Sprintf("%.0f%%", 100*ratio)
}

// formatCount shows a count.
func formatCount(n float64) string {
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// rawNumber prints a figure exactly as the metrics would hold it, for the
// data-value attributes a machine can compare.
func rawNumber(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// formatMean shows a mean duration with its sample size, or "no incident".
func formatMean(d Durations) string {
	if d.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (n=%d)", formatDuration(d.Mean), d.N)
}

// formatMedian shows a median duration, or a dash when there is none.
func formatMedian(d Durations) string {
	if !d.HasMedian {
		return "–"
	}
	return formatDuration(d.Median)
}

// formatMedianMean shows "median / mean (n)", or a dash with no incident.
func formatMedianMean(d Durations) string {
	if d.N == 0 {
		return "–"
	}
	return formatMedian(d) + " / " + formatMean(d)
}

// MaxTextRunes bounds each free text the page shows, the titles: a longer
// one is cut to its first MaxTextRunes-1 characters and an ellipsis, so
// that the size of a page has a bound (docs/report.md). The CSV keeps
// every text whole.
const MaxTextRunes = 200

// pageText is text as the page shows it: cut to MaxTextRunes characters.
func pageText(text string) string {
	n := 0
	for i := range text {
		if n == MaxTextRunes-1 && utf8.RuneCountInString(text[i:]) > 1 {
			return text[:i] + "…"
		}
		n++
	}
	return text
}

// title is the page's text of the title of the listed incident or item id.
func title(s *snapshot.Snapshot, id string) string { return pageText(s.Titles[id]) }

// orAll shows a filter value, or "all" when there is none.
func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

// upperFirst capitalizes the first letter of a caption.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// lateness shows how late an item is in days: "due today", "1 day",
// "12 days".
func lateness(days int) string {
	switch days {
	case 0:
		return "due today"
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}

// shareOf shows a share with the counts behind it: "25% (2 of 8)", or a
// dash with no incident.
func shareOf(ratio float64, n, total int) string {
	if total == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%d of %d)", formatPercent(ratio), n, total)
}

// formatDelta shows a change with abs, and its relative change: "+3
// (+25%)"; a dash when it is not known.
func formatDelta(d Delta, abs func(float64) string) string {
	if !d.Known {
		return "–"
	}
	if !d.HasRel {
		return abs(d.Abs)
	}
	return fmt.Sprintf("%s (%s)", abs(d.Abs), signed(fmt.Sprintf("%.0f%%", math.Abs(100*d.Rel)), d.Rel))
}

// signed puts the sign of v before text: "+", "−" (a minus sign), or
// "±" for nothing.
func signed(text string, v float64) string {
	switch {
	case v > 0:
		return "+" + text
	case v < 0:
		return "−" + text
	}
	return "±" + text
}

func formatSignedCount(v float64) string { return signed(formatCount(math.Abs(v)), v) }

// formatPoints shows a change of a share in percentage points.
func formatPoints(v float64) string { return signed(fmt.Sprintf("%.0f pp", math.Abs(100*v)), v) }

func formatSignedDuration(v float64) string { return signed(formatDuration(math.Abs(v)), v) }
