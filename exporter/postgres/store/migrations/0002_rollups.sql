-- Rollups: what the rolling windows count, summed per block of days and
-- kept up to date by triggers, so that a refresh reads sums instead of every
-- incident. docs/postgres.md explains how a refresh assembles exact windows
-- from them.
--
-- Data flows one way, inside the writer's own transaction:
--   incidents, incident_services, incident_related, action_items
--     --(statement triggers)--> incident_facts   (one row per incident)
--     --(statement triggers)--> rollup_incidents, rollup_classes, rollup_services, rollup_values
--   action_items --(statement triggers)--> rollup_completion, rollup_action_items
-- Every write by any client goes through them; TRUNCATE rebuilds them.
-- Rows are inserted in block order and the tables leave room for updates
-- in place (fillfactor), so that the rows of a block stay on few pages.

CREATE INDEX incident_related_related_id ON incident_related (related_id);
CREATE INDEX incidents_resolved_at ON incidents (resolved_at);
CREATE INDEX incidents_published_at ON incidents (published_at);
CREATE INDEX incidents_pending ON incidents (started_at) WHERE resolved_at IS NULL OR status <> 'published';
CREATE INDEX action_items_created_at ON action_items (created_at);
DROP INDEX action_items_closed_at;
CREATE INDEX action_items_closed_at ON action_items (closed_at);

-- The UTC day of an instant, as days since 1970-01-01.
CREATE FUNCTION postmortem_epoch_day(t timestamptz) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (t AT TIME ZONE 'UTC')::date - DATE '1970-01-01' $$;

-- The blocks a day is summed into: the day itself, its 8-day and its
-- 64-day block, each named by its first day. The exporter's
-- exporter/postgres/blocks.go uses the same spans.
CREATE FUNCTION postmortem_blocks(day integer) RETURNS TABLE (span integer, first_day integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT s, day - ((day % s) + s) % s FROM unnest(ARRAY[1, 8, 64]) AS s $$;

-- The histogram bucket of a duration: how many upper bounds it exceeds.
-- The bounds are snapshot.IncidentDurationBuckets (5m .. 7d), negated and
-- reversed for width_bucket; a test keeps the two equal.
CREATE FUNCTION postmortem_duration_bucket(seconds double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 10 - width_bucket(-seconds,
    '{-604800,-259200,-86400,-28800,-14400,-7200,-3600,-1800,-900,-300}'::double precision[]) $$;

-- The same for snapshot.CompletionBuckets (1d .. 180d).
CREATE FUNCTION postmortem_completion_bucket(seconds double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 8 - width_bucket(-seconds,
    '{-15552000,-7776000,-5184000,-2592000,-1209600,-604800,-259200,-86400}'::double precision[]) $$;

-- The end of a day in UTC: an action item is on time when it is done
-- before the end of its due day.
CREATE FUNCTION postmortem_day_end(day date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (day + 1)::timestamp AT TIME ZONE 'UTC' $$;

CREATE FUNCTION postmortem_seconds(d interval) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT extract(epoch FROM d)::double precision $$;

CREATE FUNCTION postmortem_microseconds(d interval) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (extract(epoch FROM d) * 1000000)::bigint $$;

-- One row per incident with what the windows count: its own columns, its
-- services, whether it repeats an earlier incident (a related incident that
-- started earlier had an action item open when it started), and the related
-- ids that name no other incident.
CREATE TABLE incident_facts (
    incident_id        text PRIMARY KEY,
    severity           text NOT NULL,
    team               text NOT NULL,
    detection          text NOT NULL,
    origin             text NOT NULL,
    resolution         text,
    started_at         timestamptz NOT NULL,
    detected_at        timestamptz NOT NULL,
    mitigated_at       timestamptz,
    resolved_at        timestamptz,
    security_incident  boolean NOT NULL,
    data_loss          boolean NOT NULL,
    customers_affected bigint NOT NULL,
    failed_requests    bigint NOT NULL,
    repeat             boolean NOT NULL,
    services           text[] NOT NULL,
    unknown_related    text[] NOT NULL
);
CREATE INDEX incident_facts_started_at ON incident_facts (started_at);
CREATE INDEX incident_facts_last_event ON incident_facts ((greatest(detected_at, mitigated_at, resolved_at)));
CREATE INDEX incident_facts_unknown_related ON incident_facts (incident_id) WHERE unknown_related <> '{}';

-- Recomputes the facts of the given incidents from the tables; an incident
-- that no longer exists loses its facts.
CREATE FUNCTION postmortem_refresh_facts(ids text[]) RETURNS void
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
                    AND (r.related_id = i.id OR NOT EXISTS (SELECT 1 FROM incidents e WHERE e.id = r.related_id))), '{}')
  FROM incidents i JOIN (SELECT DISTINCT unnest(ids)) AS u (id) ON i.id = u.id;
$$;

-- Statement trigger of the record tables: recomputes the facts of the
-- incidents whose rows changed (TG_ARGV[0] names their id column) and, for
-- incidents and action items, of the incidents that relate to them, whose
-- repeat flag or unknown related ids may change with them.
CREATE FUNCTION postmortem_record_rows_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    id_column text := TG_ARGV[0];
    which text := TG_ARGV[1]; -- 'self', 'relating' or 'both'
    changed text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT * FROM new_rows'
                               WHEN 'DELETE' THEN 'SELECT * FROM old_rows'
                               ELSE 'SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows' END;
    ids text[];
    relating text[] := '{}';
BEGIN
    EXECUTE format('SELECT coalesce(array_agg(DISTINCT %I), ''{}'') FROM (%s) AS c', id_column, changed) INTO ids;
    IF which IN ('relating', 'both') THEN
        relating := ARRAY(SELECT DISTINCT r.incident_id FROM incident_related r JOIN unnest(ids) AS u (id) ON r.related_id = u.id);
    END IF;
    IF which = 'relating' THEN
        ids := relating;
    ELSE
        ids := ids || relating;
    END IF;
    IF cardinality(ids) > 0 THEN
        PERFORM postmortem_refresh_facts(ids);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_incidents_inserted AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('id', 'both');
CREATE TRIGGER postmortem_incidents_updated AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('id', 'both');
CREATE TRIGGER postmortem_incidents_deleted AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('id', 'both');
CREATE TRIGGER postmortem_services_inserted AFTER INSERT ON incident_services REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'self');
CREATE TRIGGER postmortem_services_updated AFTER UPDATE ON incident_services REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'self');
CREATE TRIGGER postmortem_services_deleted AFTER DELETE ON incident_services REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'self');
CREATE TRIGGER postmortem_related_inserted AFTER INSERT ON incident_related REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'self');
CREATE TRIGGER postmortem_related_updated AFTER UPDATE ON incident_related REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'self');
CREATE TRIGGER postmortem_related_deleted AFTER DELETE ON incident_related REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'self');
CREATE TRIGGER postmortem_items_inserted AFTER INSERT ON action_items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'relating');
CREATE TRIGGER postmortem_items_updated AFTER UPDATE ON action_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'relating');
CREATE TRIGGER postmortem_items_deleted AFTER DELETE ON action_items REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_record_rows_changed('incident_id', 'relating');

-- Incidents per block (see postmortem_blocks) of their start day, severity
-- and team, with the histograms of time to detect, mitigate and recover:
-- *_b0 .. *_b10 count the observations per bucket (not cumulative), sums
-- are in microseconds so that they add up exactly.
CREATE TABLE rollup_incidents (
    span integer NOT NULL, first_day integer NOT NULL, severity text NOT NULL, team text NOT NULL,
    incidents integer NOT NULL, repeats integer NOT NULL, security integer NOT NULL, data_loss integer NOT NULL,
    customers_affected bigint NOT NULL, failed_requests bigint NOT NULL,
    detect_count integer NOT NULL, detect_sum_us bigint NOT NULL,
    detect_b0 integer NOT NULL, detect_b1 integer NOT NULL, detect_b2 integer NOT NULL, detect_b3 integer NOT NULL,
    detect_b4 integer NOT NULL, detect_b5 integer NOT NULL, detect_b6 integer NOT NULL, detect_b7 integer NOT NULL,
    detect_b8 integer NOT NULL, detect_b9 integer NOT NULL, detect_b10 integer NOT NULL,
    mitigate_count integer NOT NULL, mitigate_sum_us bigint NOT NULL,
    mitigate_b0 integer NOT NULL, mitigate_b1 integer NOT NULL, mitigate_b2 integer NOT NULL, mitigate_b3 integer NOT NULL,
    mitigate_b4 integer NOT NULL, mitigate_b5 integer NOT NULL, mitigate_b6 integer NOT NULL, mitigate_b7 integer NOT NULL,
    mitigate_b8 integer NOT NULL, mitigate_b9 integer NOT NULL, mitigate_b10 integer NOT NULL,
    recover_count integer NOT NULL, recover_sum_us bigint NOT NULL,
    recover_b0 integer NOT NULL, recover_b1 integer NOT NULL, recover_b2 integer NOT NULL, recover_b3 integer NOT NULL,
    recover_b4 integer NOT NULL, recover_b5 integer NOT NULL, recover_b6 integer NOT NULL, recover_b7 integer NOT NULL,
    recover_b8 integer NOT NULL, recover_b9 integer NOT NULL, recover_b10 integer NOT NULL,
    PRIMARY KEY (span, first_day, severity, team)
) WITH (fillfactor = 90);

-- Incidents per block, team and classification: class is 'detection',
-- 'origin' or 'resolution' (resolved incidents only).
CREATE TABLE rollup_classes (
    span integer NOT NULL, first_day integer NOT NULL, team text NOT NULL, class text NOT NULL, value text NOT NULL,
    incidents integer NOT NULL,
    PRIMARY KEY (span, first_day, team, class, value)
) WITH (fillfactor = 90);

-- Incidents per block and affected service.
CREATE TABLE rollup_services (
    span integer NOT NULL, first_day integer NOT NULL, service text NOT NULL,
    incidents integer NOT NULL,
    PRIMARY KEY (span, first_day, service)
) WITH (fillfactor = 90);

-- Incidents per value of each classification field: which values are in
-- use, so that a refresh looks for rows outside the taxonomy only when
-- there are some.
CREATE TABLE rollup_values (
    field text NOT NULL, value text NOT NULL,
    incidents integer NOT NULL,
    PRIMARY KEY (field, value)
);

-- Statement trigger of incident_facts: adds the inserted facts to the
-- rollups and takes the deleted ones back out (TG_ARGV[0] is +1 or -1).
-- Rows that reach zero are kept and skipped by the readers.
CREATE FUNCTION postmortem_facts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sign integer := TG_ARGV[0]::integer;
    facts text := CASE TG_OP WHEN 'INSERT' THEN 'new_facts' ELSE 'old_facts' END;
BEGIN
    EXECUTE format($q$
    INSERT INTO rollup_incidents AS r
    SELECT b.span, b.first_day, f.severity, f.team,
           %1$s * count(*), %1$s * count(*) FILTER (WHERE f.repeat), %1$s * count(*) FILTER (WHERE f.security_incident),
           %1$s * count(*) FILTER (WHERE f.data_loss), %1$s * sum(f.customers_affected), %1$s * sum(f.failed_requests),
           %1$s * count(*), %1$s * sum(postmortem_microseconds(f.detected_at - f.started_at)),
           %1$s * count(*) FILTER (WHERE f.detect_bucket = 0), %1$s * count(*) FILTER (WHERE f.detect_bucket = 1),
           %1$s * count(*) FILTER (WHERE f.detect_bucket = 2), %1$s * count(*) FILTER (WHERE f.detect_bucket = 3),
           %1$s * count(*) FILTER (WHERE f.detect_bucket = 4), %1$s * count(*) FILTER (WHERE f.detect_bucket = 5),
           %1$s * count(*) FILTER (WHERE f.detect_bucket = 6), %1$s * count(*) FILTER (WHERE f.detect_bucket = 7),
           %1$s * count(*) FILTER (WHERE f.detect_bucket = 8), %1$s * count(*) FILTER (WHERE f.detect_bucket = 9),
           %1$s * count(*) FILTER (WHERE f.detect_bucket = 10),
           %1$s * count(f.mitigated_at), %1$s * coalesce(sum(postmortem_microseconds(f.mitigated_at - f.started_at)), 0),
           %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 0), %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 1),
           %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 2), %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 3),
           %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 4), %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 5),
           %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 6), %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 7),
           %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 8), %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 9),
           %1$s * count(*) FILTER (WHERE f.mitigate_bucket = 10),
           %1$s * count(f.resolved_at), %1$s * coalesce(sum(postmortem_microseconds(f.resolved_at - f.started_at)), 0),
           %1$s * count(*) FILTER (WHERE f.recover_bucket = 0), %1$s * count(*) FILTER (WHERE f.recover_bucket = 1),
           %1$s * count(*) FILTER (WHERE f.recover_bucket = 2), %1$s * count(*) FILTER (WHERE f.recover_bucket = 3),
           %1$s * count(*) FILTER (WHERE f.recover_bucket = 4), %1$s * count(*) FILTER (WHERE f.recover_bucket = 5),
           %1$s * count(*) FILTER (WHERE f.recover_bucket = 6), %1$s * count(*) FILTER (WHERE f.recover_bucket = 7),
           %1$s * count(*) FILTER (WHERE f.recover_bucket = 8), %1$s * count(*) FILTER (WHERE f.recover_bucket = 9),
           %1$s * count(*) FILTER (WHERE f.recover_bucket = 10)
      FROM (SELECT *, postmortem_duration_bucket(postmortem_seconds(detected_at - started_at)) AS detect_bucket,
                      postmortem_duration_bucket(postmortem_seconds(mitigated_at - started_at)) AS mitigate_bucket,
                      postmortem_duration_bucket(postmortem_seconds(resolved_at - started_at)) AS recover_bucket
              FROM %2$I) AS f,
           postmortem_blocks(postmortem_epoch_day(f.started_at)) AS b
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (span, first_day, severity, team) DO UPDATE SET
        incidents = r.incidents + excluded.incidents, repeats = r.repeats + excluded.repeats,
        security = r.security + excluded.security, data_loss = r.data_loss + excluded.data_loss,
        customers_affected = r.customers_affected + excluded.customers_affected,
        failed_requests = r.failed_requests + excluded.failed_requests,
        detect_count = r.detect_count + excluded.detect_count, detect_sum_us = r.detect_sum_us + excluded.detect_sum_us,
        detect_b0 = r.detect_b0 + excluded.detect_b0, detect_b1 = r.detect_b1 + excluded.detect_b1,
        detect_b2 = r.detect_b2 + excluded.detect_b2, detect_b3 = r.detect_b3 + excluded.detect_b3,
        detect_b4 = r.detect_b4 + excluded.detect_b4, detect_b5 = r.detect_b5 + excluded.detect_b5,
        detect_b6 = r.detect_b6 + excluded.detect_b6, detect_b7 = r.detect_b7 + excluded.detect_b7,
        detect_b8 = r.detect_b8 + excluded.detect_b8, detect_b9 = r.detect_b9 + excluded.detect_b9,
        detect_b10 = r.detect_b10 + excluded.detect_b10,
        mitigate_count = r.mitigate_count + excluded.mitigate_count, mitigate_sum_us = r.mitigate_sum_us + excluded.mitigate_sum_us,
        mitigate_b0 = r.mitigate_b0 + excluded.mitigate_b0, mitigate_b1 = r.mitigate_b1 + excluded.mitigate_b1,
        mitigate_b2 = r.mitigate_b2 + excluded.mitigate_b2, mitigate_b3 = r.mitigate_b3 + excluded.mitigate_b3,
        mitigate_b4 = r.mitigate_b4 + excluded.mitigate_b4, mitigate_b5 = r.mitigate_b5 + excluded.mitigate_b5,
        mitigate_b6 = r.mitigate_b6 + excluded.mitigate_b6, mitigate_b7 = r.mitigate_b7 + excluded.mitigate_b7,
        mitigate_b8 = r.mitigate_b8 + excluded.mitigate_b8, mitigate_b9 = r.mitigate_b9 + excluded.mitigate_b9,
        mitigate_b10 = r.mitigate_b10 + excluded.mitigate_b10,
        recover_count = r.recover_count + excluded.recover_count, recover_sum_us = r.recover_sum_us + excluded.recover_sum_us,
        recover_b0 = r.recover_b0 + excluded.recover_b0, recover_b1 = r.recover_b1 + excluded.recover_b1,
        recover_b2 = r.recover_b2 + excluded.recover_b2, recover_b3 = r.recover_b3 + excluded.recover_b3,
        recover_b4 = r.recover_b4 + excluded.recover_b4, recover_b5 = r.recover_b5 + excluded.recover_b5,
        recover_b6 = r.recover_b6 + excluded.recover_b6, recover_b7 = r.recover_b7 + excluded.recover_b7,
        recover_b8 = r.recover_b8 + excluded.recover_b8, recover_b9 = r.recover_b9 + excluded.recover_b9,
        recover_b10 = r.recover_b10 + excluded.recover_b10
    $q$, sign, facts);

    EXECUTE format($q$
    INSERT INTO rollup_classes AS r
    SELECT b.span, b.first_day, f.team, c.class, c.value, %1$s * count(*)
      FROM %2$I AS f,
           LATERAL (VALUES ('detection', f.detection), ('origin', f.origin), ('resolution', f.resolution)) AS c (class, value),
           postmortem_blocks(postmortem_epoch_day(f.started_at)) AS b
     WHERE c.value IS NOT NULL AND (c.class <> 'resolution' OR f.resolved_at IS NOT NULL)
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (span, first_day, team, class, value) DO UPDATE SET incidents = r.incidents + excluded.incidents
    $q$, sign, facts);

    EXECUTE format($q$
    INSERT INTO rollup_services AS r
    SELECT b.span, b.first_day, s.service, %1$s * count(*)
      FROM %2$I AS f, unnest(f.services) AS s (service), postmortem_blocks(postmortem_epoch_day(f.started_at)) AS b
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (span, first_day, service) DO UPDATE SET incidents = r.incidents + excluded.incidents
    $q$, sign, facts);

    EXECUTE format($q$
    INSERT INTO rollup_values AS r
    SELECT v.field, v.value, %1$s * count(*)
      FROM %2$I AS f,
           LATERAL (VALUES ('severity', f.severity), ('detection', f.detection), ('origin', f.origin),
                           ('resolution', f.resolution)) AS v (field, value)
     WHERE v.value IS NOT NULL
     GROUP BY 1, 2
    ON CONFLICT (field, value) DO UPDATE SET incidents = r.incidents + excluded.incidents
    $q$, sign, facts);
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_facts_inserted AFTER INSERT ON incident_facts REFERENCING NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_facts_changed('1');
CREATE TRIGGER postmortem_facts_deleted AFTER DELETE ON incident_facts REFERENCING OLD TABLE AS old_facts
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_facts_changed('-1');

-- Done action items per block of their closing day and team: the
-- completion histogram (c_b0 .. c_b8, snapshot.CompletionBuckets) and how
-- many were done before the end of their due day.
CREATE TABLE rollup_completion (
    span integer NOT NULL, first_day integer NOT NULL, team text NOT NULL,
    items integer NOT NULL, on_time integer NOT NULL, sum_us bigint NOT NULL,
    c_b0 integer NOT NULL, c_b1 integer NOT NULL, c_b2 integer NOT NULL, c_b3 integer NOT NULL, c_b4 integer NOT NULL,
    c_b5 integer NOT NULL, c_b6 integer NOT NULL, c_b7 integer NOT NULL, c_b8 integer NOT NULL,
    PRIMARY KEY (span, first_day, team)
) WITH (fillfactor = 90);

-- Action items per team, status and whether they have an exception.
CREATE TABLE rollup_action_items (
    team text NOT NULL, status text NOT NULL, exception boolean NOT NULL,
    items integer NOT NULL,
    PRIMARY KEY (team, status, exception)
);

-- Statement trigger of action_items: adds the inserted rows and takes the
-- deleted ones back out (an update does both).
CREATE FUNCTION postmortem_items_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
                               WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM old_rows'
                               ELSE 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows' END;
BEGIN
    EXECUTE format($q$
    INSERT INTO rollup_completion AS r
    SELECT b.span, b.first_day, a.team, sum(a.sign), coalesce(sum(a.sign) FILTER (WHERE a.closed_at < postmortem_day_end(a.due)), 0),
           sum(a.sign * postmortem_microseconds(a.closed_at - a.created_at)),
           coalesce(sum(a.sign) FILTER (WHERE a.bucket = 0), 0), coalesce(sum(a.sign) FILTER (WHERE a.bucket = 1), 0),
           coalesce(sum(a.sign) FILTER (WHERE a.bucket = 2), 0), coalesce(sum(a.sign) FILTER (WHERE a.bucket = 3), 0),
           coalesce(sum(a.sign) FILTER (WHERE a.bucket = 4), 0), coalesce(sum(a.sign) FILTER (WHERE a.bucket = 5), 0),
           coalesce(sum(a.sign) FILTER (WHERE a.bucket = 6), 0), coalesce(sum(a.sign) FILTER (WHERE a.bucket = 7), 0),
           coalesce(sum(a.sign) FILTER (WHERE a.bucket = 8), 0)
      FROM (SELECT *, postmortem_completion_bucket(postmortem_seconds(closed_at - created_at)) AS bucket
              FROM (%s) AS c WHERE status = 'done') AS a,
           postmortem_blocks(postmortem_epoch_day(a.closed_at)) AS b
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (span, first_day, team) DO UPDATE SET
        items = r.items + excluded.items, on_time = r.on_time + excluded.on_time, sum_us = r.sum_us + excluded.sum_us,
        c_b0 = r.c_b0 + excluded.c_b0, c_b1 = r.c_b1 + excluded.c_b1, c_b2 = r.c_b2 + excluded.c_b2,
        c_b3 = r.c_b3 + excluded.c_b3, c_b4 = r.c_b4 + excluded.c_b4, c_b5 = r.c_b5 + excluded.c_b5,
        c_b6 = r.c_b6 + excluded.c_b6, c_b7 = r.c_b7 + excluded.c_b7, c_b8 = r.c_b8 + excluded.c_b8
    $q$, changed);

    EXECUTE format($q$
    INSERT INTO rollup_action_items AS r
    SELECT team, status, exception <> '', sum(sign) FROM (%s) AS c GROUP BY 1, 2, 3
    ON CONFLICT (team, status, exception) DO UPDATE SET items = r.items + excluded.items
    $q$, changed);
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_item_rollups_inserted AFTER INSERT ON action_items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_items_changed();
CREATE TRIGGER postmortem_item_rollups_updated AFTER UPDATE ON action_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_items_changed();
CREATE TRIGGER postmortem_item_rollups_deleted AFTER DELETE ON action_items REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_items_changed();

-- Rebuilds every rollup from the record tables: after a TRUNCATE (which
-- row triggers do not see), and by this migration for rows already there.
CREATE FUNCTION postmortem_rebuild_rollups() RETURNS void
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
END $$;

CREATE FUNCTION postmortem_tables_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM postmortem_rebuild_rollups();
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_incidents_truncated AFTER TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_tables_truncated();
CREATE TRIGGER postmortem_services_truncated AFTER TRUNCATE ON incident_services
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_tables_truncated();
CREATE TRIGGER postmortem_related_truncated AFTER TRUNCATE ON incident_related
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_tables_truncated();
CREATE TRIGGER postmortem_items_truncated AFTER TRUNCATE ON action_items
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_tables_truncated();

SELECT postmortem_rebuild_rollups();
