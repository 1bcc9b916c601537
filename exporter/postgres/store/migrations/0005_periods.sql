-- Calendar periods (snapshot.PeriodOptions): the action items due, created
-- and closed per block of days and team, kept by a statement trigger on
-- action_items like the other rollups (0002_rollups.sql), so that a
-- refresh sums a few blocks per period instead of reading the items of
-- thirteen months. The incidents of the periods are read row by row: their
-- exact quantiles need every duration, read through a covering index.
--
-- kind 'due': day is the due date; outcome is the item's stored state:
--   on_time (done before the end of its due day), late, open, wont_do.
-- kind 'created' and 'closed' (done or wont_do): day is the UTC day of
--   created_at or closed_at; outcome is ''.
-- A refresh as of an instant before some rows' events corrects those rows
-- one by one, as it does for the other rollups.
CREATE TABLE rollup_item_days (
    span integer NOT NULL, first_day integer NOT NULL, team text NOT NULL,
    kind text NOT NULL, outcome text NOT NULL,
    items integer NOT NULL,
    PRIMARY KEY (span, first_day, kind, team, outcome)
) WITH (fillfactor = 90);

-- The days an item counts on, by kind, with its stored outcome.
CREATE FUNCTION postmortem_item_days(due date, created_at timestamptz, closed_at timestamptz, status text)
RETURNS TABLE (kind text, day integer, outcome text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT * FROM (VALUES
    ('due', due - DATE '1970-01-01',
     CASE WHEN status = 'open' THEN 'open' WHEN status = 'wont_do' THEN 'wont_do'
          WHEN closed_at < postmortem_day_end(due) THEN 'on_time' ELSE 'late' END),
    ('created', (created_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01', ''),
    ('closed', (closed_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01', '')) AS d (kind, day, outcome)
WHERE day IS NOT NULL
$$;

CREATE FUNCTION postmortem_item_days_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
                               WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM old_rows'
                               ELSE 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows' END;
BEGIN
    EXECUTE format($q$
    INSERT INTO rollup_item_days AS r
    SELECT b.span, b.first_day, a.team, d.kind, d.outcome, sum(a.sign)
      FROM (%s) AS a, postmortem_item_days(a.due, a.created_at, a.closed_at, a.status) AS d,
           postmortem_blocks(d.day) AS b
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (span, first_day, kind, team, outcome) DO UPDATE SET items = r.items + excluded.items
    $q$, changed);
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_item_days_inserted AFTER INSERT ON action_items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_item_days_changed();
CREATE TRIGGER postmortem_item_days_updated AFTER UPDATE ON action_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_item_days_changed();
CREATE TRIGGER postmortem_item_days_deleted AFTER DELETE ON action_items REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_item_days_changed();

-- Rebuilds rollup_item_days from action_items.
CREATE FUNCTION postmortem_rebuild_item_days() RETURNS void
LANGUAGE sql AS $$
TRUNCATE rollup_item_days;
INSERT INTO rollup_item_days
SELECT b.span, b.first_day, a.team, d.kind, d.outcome, count(*)
  FROM action_items AS a, postmortem_item_days(a.due, a.created_at, a.closed_at, a.status) AS d,
       postmortem_blocks(d.day) AS b
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5;
$$;

-- The rebuild of every rollup (after a TRUNCATE, which statement
-- triggers do not see, and after a bulk load) now includes
-- rollup_item_days; the rest is unchanged from 0002_rollups.sql.
CREATE OR REPLACE FUNCTION postmortem_rebuild_rollups() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE incident_facts, rollup_incidents, rollup_classes, rollup_services, rollup_values, rollup_completion, rollup_action_items;
    PERFORM postmortem_refresh_facts(ARRAY(SELECT id FROM incidents));
    INSERT INTO rollup_action_items
    SELECT team, status, exception <> '', count(*) FROM action_items GROUP BY 1, 2, 3;
    INSERT INTO rollup_completion
    SELECT b.span, b.first_day, a.team, count(*), count(*) FILTER (WHERE a.closed_at < postmortem_day_end(a.due)),
           sum(postmortem_microseconds(a.closed_at - a.created_at)),
           count(*) FILTER (WHERE a.bucket = 0), count(*) FILTER (WHERE a.bucket = 1), count(*) FILTER (WHERE a.bucket = 2),
           count(*) FILTER (WHERE a.bucket = 3), count(*) FILTER (WHERE a.bucket = 4), count(*) FILTER (WHERE a.bucket = 5),
           count(*) FILTER (WHERE a.bucket = 6), count(*) FILTER (WHERE a.bucket = 7), count(*) FILTER (WHERE a.bucket = 8)
      FROM (SELECT *, postmortem_completion_bucket(postmortem_seconds(closed_at - created_at)) AS bucket
              FROM action_items WHERE status = 'done') AS a,
           postmortem_blocks(postmortem_epoch_day(a.closed_at)) AS b
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
    PERFORM postmortem_rebuild_item_days();
END $$;

-- The incidents of the windows and periods, read with every column the
-- period aggregates and the exact quantiles need, from the index alone. It
-- serves the range scans of the narrower index it replaces.
DROP INDEX incident_facts_started_at;
CREATE INDEX incident_facts_started_at_covering ON incident_facts (started_at)
    INCLUDE (incident_id, severity, team, detection, origin, resolution, detected_at, mitigated_at, resolved_at,
             security_incident, data_loss, repeat);

SELECT postmortem_rebuild_item_days();
