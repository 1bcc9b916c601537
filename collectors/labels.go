package collectors

// LabelNames returns the variable label names of an exporter metric (its
// base name: no _sum, _count or _bucket suffix, no quantile or le), and
// false for a name the package does not describe. The dashboards group by
// exactly these labels to collapse the target labels (job, instance, pod)
// of several replicas into one series.
func LabelNames(metric string) ([]string, bool) {
	for _, d := range described {
		if n := describedName[d]; n.metric == metric {
			return append([]string(nil), n.labels...), true
		}
	}
	return nil, false
}
