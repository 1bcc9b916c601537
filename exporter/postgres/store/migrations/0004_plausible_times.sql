-- Plausible times (docs/records.md): what validation refuses, the schema
-- refuses from any writer where the rule does not depend on configuration
-- or the clock: no time before 1970 and no infinity. NOT VALID: rows
-- already stored are not checked here (the refresh reports them).
ALTER TABLE incidents ADD CONSTRAINT incidents_plausible_times CHECK (
    started_at >= '1970-01-01T00:00:00Z' AND isfinite(started_at) AND isfinite(detected_at)
    AND isfinite(coalesce(mitigated_at, started_at)) AND isfinite(coalesce(resolved_at, started_at))
    AND isfinite(coalesce(published_at, started_at))) NOT VALID;
ALTER TABLE action_items ADD CONSTRAINT action_items_plausible_times CHECK (
    created_at >= '1970-01-01T00:00:00Z' AND isfinite(created_at) AND isfinite(due)
    AND isfinite(coalesce(closed_at, created_at))) NOT VALID;

-- The future and the longest duration are the exporter's settings
-- (--records.max-clock-skew, --records.max-duration), so a refresh looks
-- for rows beyond them; these indexes let it find the few such rows
-- without reading the others. An incident's longest duration is its
-- latest event less its start (every event is at or after the start).
CREATE INDEX incident_facts_longest ON incident_facts ((greatest(detected_at, mitigated_at, resolved_at) - started_at));
CREATE INDEX action_items_time_to_close ON action_items ((closed_at - created_at));
CREATE INDEX action_items_time_to_due ON action_items ((due::timestamp - (created_at AT TIME ZONE 'UTC')));
