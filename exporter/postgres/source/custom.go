package source

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// customReads count the incidents of each window by the value of each
// configured custom field; none without --metrics.custom-labels.
func (r *refresh) customReads() []read {
	if len(r.customLabels) == 0 || len(r.windows) == 0 {
		return nil
	}
	return []read{r.addCustomCounts}
}

// customQuery counts the valid incidents started in each window ($1, the
// windows' starts; $2, the instant) by the value of each field of $3. A
// value is returned as JSON, so that a number reads back as the files
// give it (record.ParseCustomJSON).
const customQuery = `
	SELECT w.i::int, k.key, jsonb_build_object(k.key, i.custom -> k.key)::text, count(*)::int
	  FROM unnest($1::timestamptz[]) WITH ORDINALITY AS w (start, i)
	 CROSS JOIN unnest($3::text[]) AS k (key)
	  JOIN incidents i ON i.started_at > w.start AND i.started_at <= $2 AND i.custom ? k.key
	 WHERE i.id <> ALL ($4)
	 GROUP BY 1, 2, 3`

// addCustomCounts reads the counts of customQuery.
func (r *refresh) addCustomCounts(ctx context.Context, q pgx.Tx) (func(), error) {
	starts := make([]time.Time, len(r.windows))
	for i, w := range r.windows {
		starts[i] = r.asOf.Add(-w.Length)
	}
	type count struct {
		window     int
		key, value string
		n          int
	}
	counts, err := collect(ctx, q, "custom fields of the windows", customQuery,
		[]any{starts, r.asOf, r.customLabels, mapKeys(r.invalid)},
		func(row pgx.CollectableRow) (count, error) {
			var c count
			var doc string
			if err := row.Scan(&c.window, &c.key, &doc, &c.n); err != nil {
				return c, err
			}
			fields, err := record.ParseCustomJSON([]byte(doc))
			c.window--
			c.value = record.CustomLabel(fields[c.key])
			return c, err
		})
	return func() {
		for _, c := range counts {
			r.b.AddCustom(r.b.Window(c.window), c.key, c.value, c.n)
		}
	}, err
}
