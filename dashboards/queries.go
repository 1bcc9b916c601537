package dashboards

import (
	"fmt"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// mean is Σ sum ÷ Σ count of a histogram, by the given labels.
func (c Config) mean(histogram, by string, matchers ...string) string {
	sel := c.selector(matchers...)
	return fmt.Sprintf("sum by (%[1]s) (%[2]s_sum%[3]s) / sum by (%[1]s) (%[2]s_count%[3]s)", by, histogram, sel)
}

// quantile is a histogram quantile over the buckets, by the given labels.
func (c Config) quantile(q float64, histogram, by string, matchers ...string) string {
	return fmt.Sprintf("histogram_quantile(%g, sum by (le, %s) (%s_bucket%s))", q, by, histogram, c.selector(matchers...))
}

// exact selects an exact quantile of a summary; quantiles do not
// aggregate, so each series is shown as it is.
func (c Config) exact(q float64, summary string, matchers ...string) string {
	return summary + c.selector(append(matchers, fmt.Sprintf(`quantile="%g"`, q))...)
}

// sumBy sums a metric by the given labels ("" for a plain sum).
func (c Config) sumBy(metric, by string, matchers ...string) string {
	if by == "" {
		return fmt.Sprintf("sum(%s%s)", metric, c.selector(matchers...))
	}
	return fmt.Sprintf("sum by (%s) (%s%s)", by, metric, c.selector(matchers...))
}

// count is a plain sum that shows 0, not "no data", when nothing matches.
func (c Config) count(metric string, matchers ...string) string {
	return c.sumBy(metric, "", matchers...) + " or vector(0)"
}

// share is the part of a classification with the given value.
func (c Config) share(metric, matcher string, matchers ...string) string {
	return fmt.Sprintf("%s / %s", c.sumBy(metric, "", append(matchers, matcher)...), c.sumBy(metric, "", matchers...))
}

// shareBy is each value's part of a classification.
func (c Config) shareBy(metric, label string, matchers ...string) string {
	return fmt.Sprintf("%s / ignoring (%s) group_left %s", c.sumBy(metric, label, matchers...), label, c.sumBy(metric, "", matchers...))
}

// overdueItems is one row per overdue item, in days, with its links.
func (c Config) overdueItems(matchers ...string) string {
	return fmt.Sprintf("%s%s / 86400 * on (id) group_left (%s, %s, %s) %s%s",
		collectors.MetricActionItemOverdue, c.selector(matchers...),
		collectors.LabelDue, collectors.LabelTicketURL, collectors.LabelRecordURL,
		collectors.MetricActionItemOverdueInfo, c.selector())
}
