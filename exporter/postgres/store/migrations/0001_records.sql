-- The post-mortem records: the same model as the files, with constraints
-- that mirror validation. Enum values are checked by the source against the
-- configured taxonomy (which can change), not by the schema.
CREATE TABLE incidents (
    id                 text PRIMARY KEY CHECK (id <> ''),
    source_path        text NOT NULL,
    content_hash       text NOT NULL,
    title              text NOT NULL CHECK (title <> ''),
    severity           text NOT NULL,
    security_incident  boolean NOT NULL DEFAULT false,
    team               text NOT NULL CHECK (team <> ''),
    url                text NOT NULL DEFAULT '',
    started_at         timestamptz NOT NULL,
    detected_at        timestamptz NOT NULL CHECK (detected_at >= started_at),
    mitigated_at       timestamptz CHECK (mitigated_at >= started_at),
    resolved_at        timestamptz CHECK (resolved_at >= started_at AND resolved_at >= coalesce(mitigated_at, started_at)),
    origin             text NOT NULL,
    resolution         text,
    detection          text NOT NULL,
    customers_affected bigint NOT NULL DEFAULT 0 CHECK (customers_affected >= 0),
    failed_requests    bigint NOT NULL DEFAULT 0 CHECK (failed_requests >= 0),
    data_loss          boolean NOT NULL DEFAULT false,
    p99_latency_ms     bigint NOT NULL DEFAULT 0 CHECK (p99_latency_ms >= 0),
    status             text NOT NULL CHECK (status IN ('draft', 'in_review', 'published')),
    published_at       timestamptz CHECK (published_at >= started_at),
    CHECK (resolved_at IS NULL OR resolution IS NOT NULL),
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX incidents_started_at ON incidents (started_at);
CREATE INDEX incidents_unpublished ON incidents (team) WHERE status <> 'published';

CREATE TABLE incident_services (
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    service     text NOT NULL CHECK (service <> ''),
    PRIMARY KEY (incident_id, service)
);

CREATE TABLE incident_related (
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    related_id  text NOT NULL,
    PRIMARY KEY (incident_id, related_id)
);

-- Exactly one owner: not null, not blank, not a list of names.
CREATE TABLE action_items (
    id          text PRIMARY KEY CHECK (id <> ''),
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title       text NOT NULL CHECK (title <> ''),
    owner       text NOT NULL CHECK (owner <> '' AND owner !~ '[,;&+]| and '),
    team        text NOT NULL CHECK (team <> ''),
    created_at  timestamptz NOT NULL,
    due         date NOT NULL,
    status      text NOT NULL CHECK (status IN ('open', 'done', 'wont_do')),
    closed_at   timestamptz CHECK (closed_at >= created_at),
    exception   text NOT NULL DEFAULT '',
    url         text NOT NULL DEFAULT '',
    CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX action_items_incident ON action_items (incident_id);
CREATE INDEX action_items_open ON action_items (due) WHERE status = 'open';
CREATE INDEX action_items_closed_at ON action_items (closed_at) WHERE status = 'done';
