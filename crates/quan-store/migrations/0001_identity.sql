-- Identity and tenancy: accounts, sessions, orgs, staff, invites, API tokens,
-- persons and handles, the event log and durable jobs.
--
-- Portable SQL: the same file runs on SQLite and PostgreSQL. Ids are UUIDv7 text,
-- instants are BIGINT milliseconds since the epoch, flags are BIGINT 0/1. Index names
-- are part of the contract: the store maps uniqueness failures to them.

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    email         TEXT,
    phone         TEXT,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
CREATE UNIQUE INDEX accounts_phone_key ON accounts (phone);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_account_idx ON sessions (account_id);

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE staff (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    joined_at  BIGINT NOT NULL,
    CONSTRAINT staff_pkey PRIMARY KEY (org_id, account_id)
);
CREATE INDEX staff_account_idx ON staff (account_id);

CREATE TABLE invites (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    max_uses   BIGINT NOT NULL,
    uses       BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX invites_code_hash_key ON invites (code_hash);
CREATE INDEX invites_org_idx ON invites (org_id, id);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_org_idx ON api_tokens (org_id, id);

CREATE TABLE persons (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    account_id   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    stage        TEXT NOT NULL,
    verified     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);
CREATE INDEX persons_org_idx ON persons (org_id, id);
-- One human in one org is one person (the same human in two orgs is two).
CREATE UNIQUE INDEX persons_org_account_key ON persons (org_id, account_id);

CREATE TABLE handles (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    verified   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX handles_org_kind_value_key ON handles (org_id, kind, value);
CREATE INDEX handles_person_idx ON handles (person_id);

CREATE TABLE events (
    id      TEXT PRIMARY KEY,
    org_id  TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    subject TEXT NOT NULL,
    actor   TEXT,
    data    TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX events_org_idx ON events (org_id, id);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    run_at       BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_until BIGINT,
    dedupe_key   TEXT,
    last_error   TEXT,
    done_at      BIGINT,
    failed_at    BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (dedupe_key);
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE done_at IS NULL AND failed_at IS NULL;
