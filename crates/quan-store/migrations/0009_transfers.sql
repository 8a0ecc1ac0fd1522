-- Customer inheritance (离职继承 / 在职继承): one row per customer handed over, in
-- batches of at most 100. A transfer waits `due_at` (24 h) for the customer to refuse,
-- then completes; its status moves only from pending, by a guarded update.
CREATE TABLE transfers (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    batch_id        TEXT NOT NULL,
    person_id       TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    from_contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    from_staff      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    to_staff        TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- resigned | on_job
    kind            TEXT NOT NULL,
    -- To the customer (at most 200 characters) and to the receiver.
    message         TEXT NOT NULL,
    note            TEXT NOT NULL,
    -- pending | completed | refused | failed
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    created_by      TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at      BIGINT NOT NULL,
    due_at          BIGINT NOT NULL,
    decided_at      BIGINT
);
CREATE INDEX transfers_person_idx ON transfers (person_id, created_at);
CREATE INDEX transfers_due_idx ON transfers (status, due_at);
CREATE INDEX transfers_org_idx ON transfers (org_id, id);
