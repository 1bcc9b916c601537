-- The action items' tickets (docs/trackers.md, docs/postgres.md):
-- `import --trackers.file` reads each item's ticket from its tracker,
-- merges it into the item as the trackers file's precedence says, and
-- stores the item so merged, so the rollups, every replica of `serve`
-- and plain-SQL readers see the ticket's state without reading the
-- trackers themselves.
--
-- state_source says where an item's status and closed_at come from:
-- 'tracker' when its ticket gave them, 'record' when the record did (the
-- `state_source` label of postmortem_action_item_overdue_seconds).
--
-- Adding a column with a constant default rewrites no row. This migration
-- is self-contained, so it can be renumbered if another takes its number.
ALTER TABLE action_items ADD COLUMN state_source text NOT NULL DEFAULT 'record'
    CHECK (state_source IN ('record', 'tracker'));

-- tracker_tickets holds each ticket as last read, by the item url that
-- names it: the last known state an import uses when its tracker does not
-- answer. It is safe to empty: the next import reads every ticket again.
CREATE TABLE tracker_tickets (
    url            text PRIMARY KEY CHECK (url <> ''),
    tracker        text NOT NULL,               -- the tracker's url in the trackers file
    ticket_key     text NOT NULL,               -- ABC-12, owner/repo#12, group/project#3, ENG-123
    outcome        text NOT NULL CHECK (outcome IN ('found', 'not_found', 'forbidden', 'moved')),
    moved_to       text NOT NULL DEFAULT '',    -- the new key of a moved ticket
    status         text NOT NULL DEFAULT '' CHECK (status IN ('', 'open', 'done', 'wont_do')), -- '' when the mapping does not know it
    tracker_status text NOT NULL DEFAULT '',    -- the tracker's own words for it
    closed_at      timestamptz,
    assignees      text[] NOT NULL DEFAULT '{}',
    due            date,
    updated_at     timestamptz,
    read_at        timestamptz NOT NULL         -- when an import read it
);
