-- The findings post-mortem by post-mortem (postmortem_quality_finding_info,
-- the report's list): a refresh reads the stored findings of the recent
-- incidents back, so each finding keeps the id of the action item it is
-- about ('' when it is about the record, or when the item is left out of
-- the metrics: its id may be what is wrong with it) and its position
-- among its incident's findings, in the order the check gave them.
--
-- Adding a column with a constant default rewrites no row. The findings
-- stored before know neither: their incidents' content hash is cleared,
-- so the next import writes them again (docs/postgres.md).
ALTER TABLE quality_findings
    ADD COLUMN item text NOT NULL DEFAULT '',
    ADD COLUMN position integer NOT NULL DEFAULT 0;

UPDATE incidents SET content_hash = ''
 WHERE id IN (SELECT DISTINCT incident_id FROM quality_findings);
