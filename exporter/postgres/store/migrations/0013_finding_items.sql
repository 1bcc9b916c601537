-- The findings post-mortem by post-mortem (postmortem_quality_finding_info,
-- the report's list): a refresh reads the stored findings of the recent
-- incidents back, so each finding keeps the id of the action item it is
-- about ('' when it is about the record, or when the item is left out of
-- the metrics: its id may be what is wrong with it).
--
-- Adding a column with a constant default rewrites no row. The findings
-- stored before do not know it:
-- those about an action item (their field names it) have their
-- incidents' content hash cleared, so the next import writes them again.
ALTER TABLE quality_findings
    ADD COLUMN item text NOT NULL DEFAULT '';

UPDATE incidents SET content_hash = ''
 WHERE id IN (SELECT incident_id FROM quality_findings WHERE field LIKE 'action_items[%');
