-- The repository each incident was imported from (docs/postgres.md,
-- "Several repositories in one database"): `import --source.name`, by
-- default the origin URL of the folder's git repository (credentials
-- stripped) or the folder's absolute path. An import never overwrites an
-- incident stored from another source name, and a prune only deletes
-- incidents of its own source name.
--
-- '' is an incident stored before this migration, or written by plain SQL
-- or synthesize: the first import that upserts it adopts it, and every
-- prune still considers it (with the checks prune always had).
--
-- Adding a column with a constant default rewrites no row. The index lets
-- a prune read the ids of its own source name only. This migration is
-- self-contained, so it can be renumbered if another takes its number.
ALTER TABLE incidents ADD COLUMN source_name text NOT NULL DEFAULT '';
CREATE INDEX incidents_source_name ON incidents (source_name, id);
