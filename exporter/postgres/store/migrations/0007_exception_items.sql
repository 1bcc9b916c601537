-- The open action items with an approved exception, listed one by one
-- (postmortem_action_item_exception_info): a refresh reads them through
-- this partial index, which holds only them, instead of scanning every
-- action item. The earliest due first, as they are listed.
--
-- This migration is self-contained (it only adds an index), so it can be
-- renumbered if another migration takes its number.
CREATE INDEX action_items_open_exceptions ON action_items (due) WHERE status = 'open' AND exception <> '';
