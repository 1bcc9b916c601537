package dashboards

import (
	"fmt"
	"slices"
	"strings"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// Replicas. Several exporters may serve the same records (docs/dashboards.md,
// "Replicas"): Prometheus then holds one series per replica, told apart
// by target labels (instance, pod, job). Every query therefore selects a
// metric through dedup, which keeps one series per label set of the
// exporter's own labels and the job (max by (job, those labels)): the
// replicas of one job collapse into one before anything is summed, joined
// or alerted on. The job stays: the alerts carry it, and Alertmanager
// inhibits a job's item alerts while its source is down. The maximum is
// the right pick while two replicas refresh a moment apart: an overdue
// item's age only grows, and counts agree between refreshes.

// suffixes of the series of summaries and histograms, and the label each
// adds.
var suffixes = []struct{ suffix, label string }{{"_sum", ""}, {"_count", ""}, {"_bucket", "le"}}

// dedup selects metric (a name the collectors describe, optionally with
// _sum, _count or _bucket) with the config's selector and the matchers,
// one series per label set of the exporter.
func (c Config) dedup(metric string, matchers ...string) string {
	base, extra := metric, ""
	for _, s := range suffixes {
		if b, ok := strings.CutSuffix(metric, s.suffix); ok {
			if _, known := collectors.LabelNames(b); known {
				base, extra = b, s.label
				break
			}
		}
	}
	labels, ok := collectors.LabelNames(base)
	if !ok {
		// A programming error in this package: every test generates the files.
		panic(fmt.Sprintf("dashboards: %s is not a metric of the collectors", metric))
	}
	// An overdue item's state_source (record or tracker) changes when its
	// ticket is first read, and two replicas may disagree on it between
	// their syncs: left out, the item stays one series and one alert.
	labels = slices.DeleteFunc(labels, func(l string) bool { return l == collectors.LabelStateSource })
	if extra != "" {
		labels = append(labels, extra)
	}
	for _, m := range matchers {
		if strings.HasPrefix(m, "quantile=") {
			labels = append(labels, "quantile")
		}
	}
	return fmt.Sprintf("max by (%s) (%s%s)", strings.Join(append([]string{"job"}, labels...), ", "), metric, c.selector(matchers...))
}

// selector builds a label selector from the config's selector and matchers.
func (c Config) selector(matchers ...string) string {
	all := append([]string{c.jobMatcher()}, matchers...)
	return "{" + strings.Join(all, ", ") + "}"
}

// sumBy sums a metric by the given labels ("" for a plain sum).
func (c Config) sumBy(metric, by string, matchers ...string) string {
	if by == "" {
		return fmt.Sprintf("sum(%s)", c.dedup(metric, matchers...))
	}
	return fmt.Sprintf("sum by (%s) (%s)", by, c.dedup(metric, matchers...))
}

// count is a plain sum that shows 0, not "no data", when nothing matches.
func (c Config) count(metric string, matchers ...string) string {
	return c.sumBy(metric, "", matchers...) + " or vector(0)"
}

// mean is Σ sum ÷ Σ count of a summary or histogram by the given labels;
// a label set without a sample has no mean rather than NaN.
func (c Config) mean(summary, by string, matchers ...string) string {
	return ratio(c.sumBy(summary+"_sum", by, matchers...), c.sumBy(summary+"_count", by, matchers...))
}

// ratio divides, leaving out the label sets whose divisor is 0: "no
// incidents" is no value, never NaN.
func ratio(numerator, divisor string) string {
	return fmt.Sprintf("%s / (%s > 0)", numerator, divisor)
}

// quantile is a histogram quantile over the buckets, by the given labels.
func (c Config) quantile(q float64, histogram, by string, matchers ...string) string {
	return fmt.Sprintf("histogram_quantile(%g, %s)", q, c.sumBy(histogram+"_bucket", "le, "+by, matchers...))
}

// exact selects an exact quantile of a summary; quantiles do not
// aggregate, so each series is shown as it is.
func (c Config) exact(q float64, summary string, matchers ...string) string {
	return c.dedup(summary, append(matchers, fmt.Sprintf(`quantile="%g"`, q))...)
}

// share is the part of a classification with the given value, by the
// given labels: 0 when none has it, no value when there is nothing.
func (c Config) share(metric, by, matcher string, matchers ...string) string {
	all := c.sumBy(metric, by, matchers...)
	part := c.sumBy(metric, by, append(matchers, matcher)...)
	return ratio(fmt.Sprintf("(%s or 0 * %s)", part, all), all)
}

// shareBy is each value's part of a classification.
func (c Config) shareBy(metric, label string, matchers ...string) string {
	return fmt.Sprintf("%s / ignoring (%s) group_left () (%s > 0)", c.sumBy(metric, label, matchers...), label, c.sumBy(metric, "", matchers...))
}

// overdueItems is one row per overdue item, in days, with its links.
func (c Config) overdueItems(matchers ...string) string {
	return c.dedup(collectors.MetricActionItemOverdue, matchers...) + " / 86400"
}

// onTime is the share of the items due in the window (their due day
// ended in it) that were done by the end of their due day, of those done
// or still open: an item dropped as wont_do is neither on time nor late.
// 0 when none was on time, no value when none was due.
func (c Config) onTime(by string, matchers ...string) string {
	return c.share(collectors.MetricActionItemsDue, by, `outcome="on_time"`, append(matchers, `outcome!="wont_do"`)...)
}

// Calendar periods. postmortem_period_covered_seconds names, for each
// period, the one before it (previous) and how much of it has elapsed: a
// period compares with the previous one by a join on that label, and the
// current period, partial, is the one that is no period's previous.

// periods is one series per period with its previous one.
func (c Config) periods() string {
	return c.dedup(collectors.MetricPeriodCovered)
}

// previousOf is the value of x (one series per period) in the period
// before each period; the oldest period has none.
func (c Config) previousOf(x string) string {
	p := collectors.LabelPeriod
	return fmt.Sprintf(`max by (%[1]s) (0 * %[3]s + on (%[2]s) group_left () max by (%[2]s) (label_replace(%[4]s, "%[2]s", "$1", "%[1]s", "(.*)")))`,
		p, collectors.LabelPrevious, c.periods(), x)
}

// rolling3 sums x over each period and the two before it; the two oldest
// periods have no value.
func (c Config) rolling3(x string) string {
	prev := c.previousOf(x)
	return fmt.Sprintf("((%s) + %s + %s)", x, prev, c.previousOf(prev))
}

// change is how x moved from the previous period: x − previous.
func (c Config) change(x string) string {
	return fmt.Sprintf("((%s) - %s)", x, c.previousOf(x))
}

// relativeChange is change ÷ previous; no value where the previous
// period had 0 or nothing.
func (c Config) relativeChange(x string) string {
	return ratio(c.change(x), c.previousOf(x))
}

// currentPeriod is the current, partial period: the one that is no
// period's previous; its value is the time elapsed in it.
func (c Config) currentPeriod() string {
	p := collectors.LabelPeriod
	return fmt.Sprintf(`(max by (%[1]s) (%[3]s) unless on (%[1]s) label_replace(max by (%[2]s) (%[3]s), "%[1]s", "$1", "%[2]s", "(.+)"))`,
		p, collectors.LabelPrevious, c.periods())
}

// partialSuffix marks the current period where it is drawn: its bar or
// row is named "2026-12 (so far)".
const partialSuffix = " (so far)"

// markPartial renames the current period of x (one series per period and
// perhaps other labels) to say that it is not over.
func (c Config) markPartial(x string) string {
	p := collectors.LabelPeriod
	current := c.currentPeriod()
	return fmt.Sprintf(`((%[2]s) unless on (%[1]s) %[3]s) or label_replace((%[2]s) and on (%[1]s) %[3]s, "%[1]s", "$1%[4]s", "%[1]s", "(.+)")`,
		p, x, current, partialSuffix)
}
