-- The quality bar (docs/quality.md): the record's new fields, findings
-- stored by import, and what the rolling windows count of them.
--
-- This migration is self-contained (it only adds to the schema and
-- replaces postmortem_refresh_facts), so it can be renumbered if another
-- migration takes its number.

-- An action item's owner problem and missing due day are findings, not
-- reasons to refuse the record: an item may have no owner ('') or name
-- several, and no due day (NULL, never overdue).
ALTER TABLE action_items DROP CONSTRAINT action_items_owner_check;
ALTER TABLE action_items ALTER COLUMN due DROP NOT NULL;
ALTER TABLE action_items ADD COLUMN exception_approver text NOT NULL DEFAULT '';
CREATE INDEX action_items_unowned ON action_items (incident_id) WHERE owner = '';

ALTER TABLE incidents
    ADD COLUMN moderator text NOT NULL DEFAULT '',
    ADD COLUMN bar_raiser text NOT NULL DEFAULT '',
    ADD COLUMN learnings text[] NOT NULL DEFAULT '{}',
    ADD COLUMN security_review_by text,
    ADD COLUMN security_review_outcome text,
    ADD COLUMN security_review_date timestamptz;

-- The findings of the quality rules on each incident, computed by import
-- with its --quality.file (the rules live in one place: the Go package
-- exporter/record) and replaced with its record.
CREATE TABLE quality_findings (
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    team        text NOT NULL,
    rule        text NOT NULL CHECK (rule <> ''),
    severity    text NOT NULL CHECK (severity IN ('error', 'warning')),
    field       text NOT NULL,
    line        integer NOT NULL DEFAULT 0,
    message     text NOT NULL
);
CREATE INDEX quality_findings_incident ON quality_findings (incident_id);

-- Findings per team and rule, kept by a statement trigger.
CREATE TABLE rollup_findings (
    team text NOT NULL, rule text NOT NULL,
    findings integer NOT NULL,
    PRIMARY KEY (team, rule)
);

CREATE FUNCTION postmortem_findings_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
                               WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM old_rows'
                               ELSE 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows' END;
BEGIN
    EXECUTE format($q$
    INSERT INTO rollup_findings AS r
    SELECT team, rule, sum(sign) FROM (%s) AS c GROUP BY 1, 2
    ON CONFLICT (team, rule) DO UPDATE SET findings = r.findings + excluded.findings
    $q$, changed);
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_findings_inserted AFTER INSERT ON quality_findings REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_findings_changed();
CREATE TRIGGER postmortem_findings_updated AFTER UPDATE ON quality_findings REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_findings_changed();
CREATE TRIGGER postmortem_findings_deleted AFTER DELETE ON quality_findings REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_findings_changed();

CREATE FUNCTION postmortem_findings_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE rollup_findings;
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_findings_truncated AFTER TRUNCATE ON quality_findings
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_findings_truncated();

-- The facts gain what the quality rollup counts: the number of learnings
-- and the publication (for the time from resolution to publication); and
-- the incidents this one repeats: each related incident that started
-- earlier and had action items by then (repeat_of), and whether those
-- were all closed then (repeat_fix_done: the fix did not work) or some
-- still open. A refresh reads them through a partial index that holds
-- only the repeats, with every column it needs.
ALTER TABLE incident_facts
    ADD COLUMN learnings integer NOT NULL DEFAULT 0,
    ADD COLUMN published_at timestamptz,
    ADD COLUMN repeat_of text[] NOT NULL DEFAULT '{}',
    ADD COLUMN repeat_fix_done boolean[] NOT NULL DEFAULT '{}';
CREATE INDEX incident_facts_published_at ON incident_facts (published_at);
CREATE INDEX incident_facts_repeats ON incident_facts (started_at) INCLUDE (incident_id, team, repeat_of, repeat_fix_done)
    WHERE repeat_of <> '{}';

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
       coalesce(rep.earlier, '{}'), coalesce(rep.fix_done, '{}')
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

-- Learnings and the time from resolution to publication per block of the
-- start day, severity and team, like rollup_incidents: p_b0 .. p_b4 count
-- per bucket of snapshot.PublicationBuckets (1d, 3d, 10d, 30d).
CREATE TABLE rollup_quality (
    span integer NOT NULL, first_day integer NOT NULL, severity text NOT NULL, team text NOT NULL,
    incidents integer NOT NULL, learnings integer NOT NULL,
    publish_count integer NOT NULL, publish_sum_us bigint NOT NULL,
    p_b0 integer NOT NULL, p_b1 integer NOT NULL, p_b2 integer NOT NULL, p_b3 integer NOT NULL, p_b4 integer NOT NULL,
    PRIMARY KEY (span, first_day, severity, team)
) WITH (fillfactor = 90);

-- The bucket of a time from resolution to publication; a test keeps the
-- bounds equal to snapshot.PublicationBuckets.
CREATE FUNCTION postmortem_publication_bucket(seconds double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 4 - width_bucket(-seconds, '{-2592000,-864000,-259200,-86400}'::double precision[]) $$;

CREATE FUNCTION postmortem_quality_facts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sign integer := TG_ARGV[0]::integer;
    facts text := CASE TG_OP WHEN 'INSERT' THEN 'new_facts' ELSE 'old_facts' END;
BEGIN
    EXECUTE format($q$
    INSERT INTO rollup_quality AS r
    SELECT b.span, b.first_day, f.severity, f.team, %1$s * count(*), %1$s * sum(f.learnings),
           %1$s * count(f.delay), %1$s * coalesce(sum(postmortem_microseconds(f.delay)), 0),
           %1$s * count(*) FILTER (WHERE f.bucket = 0), %1$s * count(*) FILTER (WHERE f.bucket = 1),
           %1$s * count(*) FILTER (WHERE f.bucket = 2), %1$s * count(*) FILTER (WHERE f.bucket = 3),
           %1$s * count(*) FILTER (WHERE f.bucket = 4)
      FROM (SELECT *, postmortem_publication_bucket(postmortem_seconds(published_at - resolved_at)) AS bucket,
                      published_at - resolved_at AS delay
              FROM %2$I) AS f,
           postmortem_blocks(postmortem_epoch_day(f.started_at)) AS b
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (span, first_day, severity, team) DO UPDATE SET
        incidents = r.incidents + excluded.incidents, learnings = r.learnings + excluded.learnings,
        publish_count = r.publish_count + excluded.publish_count, publish_sum_us = r.publish_sum_us + excluded.publish_sum_us,
        p_b0 = r.p_b0 + excluded.p_b0, p_b1 = r.p_b1 + excluded.p_b1, p_b2 = r.p_b2 + excluded.p_b2,
        p_b3 = r.p_b3 + excluded.p_b3, p_b4 = r.p_b4 + excluded.p_b4
    $q$, sign, facts);
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_quality_facts_inserted AFTER INSERT ON incident_facts REFERENCING NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_quality_facts_changed('1');
CREATE TRIGGER postmortem_quality_facts_deleted AFTER DELETE ON incident_facts REFERENCING OLD TABLE AS old_facts
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_quality_facts_changed('-1');

-- postmortem_rebuild_rollups truncates incident_facts before it computes
-- them again: the quality rollup goes with them.
CREATE FUNCTION postmortem_quality_facts_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE rollup_quality;
    RETURN NULL;
END $$;

CREATE TRIGGER postmortem_quality_facts_truncated AFTER TRUNCATE ON incident_facts
    FOR EACH STATEMENT EXECUTE FUNCTION postmortem_quality_facts_truncated();

-- The facts of the incidents already stored gain the new columns.
SELECT postmortem_rebuild_rollups();
