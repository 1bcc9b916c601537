-- The taxonomy writers must follow: the values an incident's severity,
-- origin, resolution and detection may take. `migrate` and `import` store
-- the taxonomy they are given (--taxonomy.file, or the defaults below) here,
-- and a trigger refuses an incident outside it, whoever writes it.
--
-- Rows already stored are not checked again when the taxonomy changes: the
-- exporter checks every row against its own configured taxonomy and reports
-- the ones outside it as invalid records, so nothing is dropped silently.
CREATE TABLE taxonomy (
    field text NOT NULL CHECK (field IN ('severity', 'origin', 'resolution', 'detection')),
    value text NOT NULL CHECK (value <> ''),
    PRIMARY KEY (field, value)
);

-- record.DefaultTaxonomy; a test keeps the two equal.
INSERT INTO taxonomy (field, value) VALUES
    ('severity', 'sev1'), ('severity', 'sev2'), ('severity', 'sev3'), ('severity', 'sev4'),
    ('origin', 'code_change'), ('origin', 'config_change'), ('origin', 'infrastructure'),
    ('origin', 'external_dependency'), ('origin', 'unknown'),
    ('resolution', 'rollback'), ('resolution', 'fix_forward'), ('resolution', 'scaling'),
    ('resolution', 'config_change'), ('resolution', 'other'),
    ('detection', 'automated'), ('detection', 'internal'), ('detection', 'customer');

CREATE FUNCTION postmortem_check_taxonomy() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT v.field, v.value INTO bad
      FROM (VALUES ('severity', NEW.severity), ('origin', NEW.origin),
                   ('resolution', NEW.resolution), ('detection', NEW.detection)) AS v (field, value)
     WHERE v.value IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM taxonomy t WHERE t.field = v.field AND t.value = v.value)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'incident %: % % is not in the taxonomy', NEW.id, bad.field, quote_literal(bad.value)
            USING ERRCODE = 'check_violation',
                  HINT = 'The allowed values are in table taxonomy; postmortem-exporter migrate --taxonomy.file sets them.';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER postmortem_incidents_taxonomy
    BEFORE INSERT OR UPDATE OF severity, origin, resolution, detection ON incidents
    FOR EACH ROW EXECUTE FUNCTION postmortem_check_taxonomy();
