-- Sync: sources with a schedule, run records, a job table that several workers share, retries with
-- backoff, and the version hint a connector gave for each document (to skip unchanged items unread).

ALTER TABLE sources
    ADD COLUMN every_s integer CHECK (every_s IS NULL OR every_s > 0),
    ADD COLUMN next_run_at timestamptz;

ALTER TABLE documents ADD COLUMN version text;

-- One row per sync of a source. A run left 'running' by a dead process is marked 'interrupted' by the
-- next run of that source (which holds the source's advisory lock, so the old one cannot be alive).
CREATE TABLE sync_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id       bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    listed          text[] NOT NULL DEFAULT '{}',  -- uris the listing saw: finalising deletes the others
    vanished        text[] NOT NULL DEFAULT '{}',  -- known uris the listing lacks: rename candidates
    progress_total  integer NOT NULL DEFAULT 0,
    progress_done   integer NOT NULL DEFAULT 0,
    counts          jsonb NOT NULL DEFAULT '{}',
    error           text
);
CREATE INDEX sync_runs_source ON sync_runs (source_id, started_at DESC);
CREATE INDEX sync_runs_running ON sync_runs (id) WHERE status = 'running';

-- Items that need reading, claimed in batches with FOR UPDATE SKIP LOCKED under a lease; a job is
-- marked done in the same transaction that writes its document, so no job is ever done twice.
CREATE TABLE sync_jobs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    uri            text NOT NULL,
    path           text NOT NULL,
    version        text NOT NULL,
    size_bytes     bigint,
    modified_at    timestamptz,
    acl            text[] NOT NULL,
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    outcome        text,                       -- new, modified, moved, unchanged, failed
    worker         text,                       -- who holds (or held) the lease
    leased_until   timestamptz,
    chunks         integer NOT NULL DEFAULT 0,
    embedded       integer NOT NULL DEFAULT 0,
    finished_at    timestamptz,
    UNIQUE (run_id, uri)
);
CREATE INDEX sync_jobs_pending ON sync_jobs (run_id, id) WHERE state = 'pending';

-- What went wrong with one item in one run, in words a person can act on.
CREATE TABLE sync_errors (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id   bigint NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    uri      text NOT NULL,
    reason   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_errors_run ON sync_errors (run_id);

-- Transient failures (unreadable now, changed while read, server error) are retried with backoff.
CREATE TABLE sync_retries (
    source_id      bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    uri            text NOT NULL,
    attempts       integer NOT NULL,
    next_retry_at  timestamptz NOT NULL,
    reason         text NOT NULL,
    PRIMARY KEY (source_id, uri)
);
