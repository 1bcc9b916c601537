package snapshot

import "github.com/postmortem-exporter/postmortem-exporter/exporter/record"

// SeriesBudget is the most series the exporter may publish with the
// default settings for an organisation of 200 teams (DESIGN: "Scale and
// speed"). --periods.by-team=auto keeps the team on the period metrics
// only while SeriesBound stays within it.
const SeriesBudget = 30000

// OwnSeries bounds the exporter's own series: records valid and stale,
// the self-metrics, and the Go runtime and process metrics (75 served
// with 9 collectors, go1.26); the invalid records are counted apart.
const OwnSeries = 100

// SetTaxonomy sizes the options for a taxonomy: the severity share and
// the period counts list every severity, and the series bound counts
// every classification value.
func (o *Options) SetTaxonomy(tax record.Taxonomy) {
	o.Severities = tax.Severities
	o.Classes = len(tax.Detections) + len(tax.Origins) + len(tax.Resolutions)
}

// SeriesBound is the most series the collectors publish for an
// organisation of teams teams, with every label combination filled and
// with or without the team on the period metrics (docs/metrics.md, "Label
// cardinality", states it term by term); the series --metrics.detail
// adds are not counted, they are opted in beyond the budget.
func (o Options) SeriesBound(teams int, periodsByTeam bool) int {
	w, s, c, p := len(o.Windows), len(o.Severities), o.Classes, o.Periods.Count
	// Per team and window: incidents, classifications; repeat, data-loss
	// and security incidents and the two impact sums; the exact summaries
	// of time to detect and recover (two quantiles, sum, count); the
	// completion sum and count, the items due by outcome. Per team: open
	// incidents, items and exceptions by status, overdue and unowned,
	// pending reviews and their age by status.
	perTeam := w*(s+c+5+2*4+2+len(ItemOutcomes)) + s + 2*3 + 2 + 2*2
	// Over all teams: the exact summaries per window and severity, their
	// means, the severity share, the completion histogram (8 buckets,
	// +Inf, sum, count) and the services.
	allTeams := 3*w*s*4 + 3*w*s + w*s + 11*w + w*(o.TopServices+1)
	// The periods: security, data-loss and repeat incidents, items created
	// and closed, and the exact summaries per severity, always over all
	// teams; incidents by severity, by classification and items due by
	// outcome, per team or over all teams; with the team, the sum, count
	// and median of time to detect and recover per team.
	allTeams += p*5 + 3*p*s*4
	narrowed := p * (s + c + len(ItemOutcomes))
	if periodsByTeam {
		perTeam += narrowed + p*2*(2+len(TeamPeriodQuantiles))
	} else {
		allTeams += narrowed
	}
	// The quality bar: per team, the findings of every rule and the
	// repeats after a fix per window; over all teams, the learnings and
	// the time to publish per window (the histogram: buckets, +Inf, sum,
	// count), the listed repeats and their dropped count, and the invalid
	// records by team and reason up to their limit.
	perTeam += len(record.RuleNames()) + w
	repeats := o.RepeatsLimit
	if repeats <= 0 {
		repeats = DefaultRepeatsLimit
	}
	allTeams += w*(1+len(PublicationBuckets)+3) + repeats + 1 + InvalidTeamsLimit
	// The listed items: overdue, and open with an exception, and the
	// count of those each limit left out.
	exceptions := o.ExceptionItemsLimit
	if exceptions <= 0 {
		exceptions = DefaultExceptionItemsLimit
	}
	allTeams += o.OverdueItemsLimit + exceptions + 2
	return teams*perTeam + allTeams + OwnSeries
}

// PeriodTeamsLimit is the most teams for which --periods.by-team=auto
// keeps the team on the period metrics: beyond it, SeriesBound with the
// team would exceed SeriesBudget. 56 with the defaults.
func (o Options) PeriodTeamsLimit() int {
	perTeam := o.SeriesBound(1, true) - o.SeriesBound(0, true)
	return max(0, (SeriesBudget-o.SeriesBound(0, true))/perTeam)
}

// InvalidTeamsLimit bounds the (reason, team) series of the invalid
// records (collectors.InvalidTeamsLimit); SeriesBound counts them.
const InvalidTeamsLimit = 100
