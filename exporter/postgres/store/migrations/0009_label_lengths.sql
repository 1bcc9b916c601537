-- Label lengths (docs/records.md): a value that becomes a label is at most
-- --records.max-label-length bytes (an id, team, service, related id,
-- owner, approver), a url at most --records.max-url-length. `import`
-- stores the limits it is given here (these are the defaults), and
-- triggers refuse a longer value from any writer, as the taxonomy's
-- trigger refuses an unknown severity: a 60 KB team written by plain SQL
-- would otherwise be repeated in every series of its team. A check in the
-- writer's transaction reads no other row, so it costs nothing at a
-- refresh however many rows there are.
--
-- Rows already stored are not checked (as with migration 0004). This
-- migration is self-contained, so it can be renumbered if another takes
-- its number.
CREATE TABLE label_limits (
    only_row         boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    max_label_length integer NOT NULL CHECK (max_label_length >= 1),
    max_url_length   integer NOT NULL CHECK (max_url_length >= 1)
);
INSERT INTO label_limits (max_label_length, max_url_length) VALUES (256, 2048);

-- The trigger's arguments are the columns to check; a column named url is
-- held to the url limit. The message names the row by its incident, never
-- with the whole long value.
CREATE FUNCTION postmortem_check_label_lengths() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb := to_jsonb(NEW);
    lim label_limits;
    bad record;
BEGIN
    SELECT * INTO lim FROM label_limits;
    SELECT c.col, octet_length(doc ->> c.col) AS n,
           CASE WHEN c.col = 'url' THEN lim.max_url_length ELSE lim.max_label_length END AS max,
           CASE WHEN c.col = 'url' THEN '--records.max-url-length' ELSE '--records.max-label-length' END AS flag
      INTO bad
      FROM unnest(TG_ARGV) AS c (col)
     WHERE octet_length(doc ->> c.col) > CASE WHEN c.col = 'url' THEN lim.max_url_length ELSE lim.max_label_length END
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: incident %: % is % bytes, longer than the limit of % (%)', TG_TABLE_NAME,
                left(coalesce(doc ->> 'incident_id', doc ->> 'id'), 64), bad.col, bad.n, bad.max, bad.flag
            USING ERRCODE = 'check_violation',
                  HINT = 'The limits are in table label_limits; postmortem-exporter import sets them from its flags.';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER postmortem_incidents_label_lengths
    BEFORE INSERT OR UPDATE OF id, team, url ON incidents
    FOR EACH ROW EXECUTE FUNCTION postmortem_check_label_lengths('id', 'team', 'url');
CREATE TRIGGER postmortem_incident_services_label_lengths
    BEFORE INSERT OR UPDATE OF service ON incident_services
    FOR EACH ROW EXECUTE FUNCTION postmortem_check_label_lengths('service');
CREATE TRIGGER postmortem_incident_related_label_lengths
    BEFORE INSERT OR UPDATE OF related_id ON incident_related
    FOR EACH ROW EXECUTE FUNCTION postmortem_check_label_lengths('related_id');
CREATE TRIGGER postmortem_action_items_label_lengths
    BEFORE INSERT OR UPDATE OF id, owner, team, url, exception_approver ON action_items
    FOR EACH ROW EXECUTE FUNCTION postmortem_check_label_lengths('id', 'owner', 'team', 'url', 'exception_approver');
