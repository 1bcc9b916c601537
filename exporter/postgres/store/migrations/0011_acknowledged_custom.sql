-- Time to acknowledge and custom fields (docs/records.md): an incident's
-- optional acknowledged_at, between its detection and the first of its
-- mitigation and resolution, copied into incident_facts, from which a
-- refresh reads the incidents of the windows and periods; and its custom
-- fields, a JSON object of scalars, which a refresh counts from
-- incidents by the fields of --metrics.custom-labels (only when there
-- are some; they stay out of the covering index, whose entries are
-- bounded in size).
--
-- Adding nullable columns rewrites no row; the checks hold for the rows
-- already stored (they have no acknowledged_at, and '{}' is an object).
-- A custom value is a string, a number or a bool, as in the files, from
-- any writer: a refresh and export read them back with
-- record.ParseCustomJSON.
-- This migration is self-contained (it replaces postmortem_refresh_facts
-- and the covering index of migration 0005), so it can be renumbered if
-- another takes its number.
ALTER TABLE incidents
    ADD COLUMN acknowledged_at timestamptz
        CHECK (acknowledged_at >= detected_at AND isfinite(acknowledged_at)
               AND acknowledged_at <= coalesce(mitigated_at, resolved_at, acknowledged_at)),
    ADD COLUMN custom jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(custom) = 'object'
               AND NOT jsonb_path_exists(custom, 'strict $.* ? (@.type() == "array" || @.type() == "object" || @.type() == "null")'));

-- A refresh looks for acknowledgements after the clock (and its skew) or
-- beyond the longest duration, as for the other times (migration 0004).
CREATE INDEX incidents_acknowledged_at ON incidents (acknowledged_at) WHERE acknowledged_at IS NOT NULL;
CREATE INDEX incidents_time_to_acknowledge ON incidents ((acknowledged_at - started_at)) WHERE acknowledged_at IS NOT NULL;

ALTER TABLE incident_facts ADD COLUMN acknowledged_at timestamptz;

CREATE OR REPLACE FUNCTION postmortem_refresh_facts(ids text[]) RETURNS void
LANGUAGE sql AS $$
DELETE FROM incident_facts f USING unnest(ids) AS u (id) WHERE f.incident_id = u.id;
INSERT INTO incident_facts
SELECT i.id, i.severity, i.team, i.detection, i.origin, i.resolution,
       i.started_at, i.detected_at, i.mitigated_at, i.resolved_at,
       i.security_incident, i.data_loss, i.customers_affected, i.failed_requests,
       EXISTS (SELECT 1 FROM incident_related r
                 JOIN incidents e ON e.id = r.related_id
                 JOIN action_items a ON a.incident_id = e.id
                WHERE r.incident_id = i.id AND e.started_at < i.started_at
                  AND a.created_at <= i.started_at AND (a.status = 'open' OR a.closed_at > i.started_at)),
       coalesce((SELECT array_agg(s.service ORDER BY s.service) FROM incident_services s WHERE s.incident_id = i.id), '{}'),
       coalesce((SELECT array_agg(r.related_id ORDER BY r.related_id) FROM incident_related r
                  WHERE r.incident_id = i.id
                    AND (r.related_id = i.id OR NOT EXISTS (SELECT 1 FROM incidents e WHERE e.id = r.related_id))), '{}'),
       cardinality(i.learnings),
       CASE WHEN i.status = 'published' THEN i.published_at END,
       coalesce(rep.earlier, '{}'), coalesce(rep.fix_done, '{}'),
       i.acknowledged_at
  FROM incidents i JOIN (SELECT DISTINCT unnest(ids)) AS u (id) ON i.id = u.id
  LEFT JOIN LATERAL (
      SELECT array_agg(x.earlier ORDER BY x.earlier) AS earlier, array_agg(x.open = 0 ORDER BY x.earlier) AS fix_done
        FROM (SELECT e.id AS earlier, count(*) FILTER (WHERE a.status = 'open' OR a.closed_at > i.started_at) AS open
                FROM incident_related r
                JOIN incidents e ON e.id = r.related_id AND e.started_at < i.started_at
                JOIN action_items a ON a.incident_id = e.id AND a.created_at <= i.started_at
               WHERE r.incident_id = i.id
               GROUP BY e.id) AS x) AS rep ON true;
$$;

-- The incidents of the windows and periods, read from the index alone,
-- now with their acknowledgement.
DROP INDEX incident_facts_started_at_covering;
CREATE INDEX incident_facts_started_at_covering ON incident_facts (started_at)
    INCLUDE (incident_id, severity, team, detection, origin, resolution, detected_at, mitigated_at, resolved_at,
             security_incident, data_loss, repeat, acknowledged_at);
