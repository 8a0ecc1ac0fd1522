-- The hourly reconciliation's last run per org: when it ran and what disagreed
-- (a JSON list of differences), for the console and the API.
CREATE TABLE reconcile_runs (
    org_id      TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    ran_at      BIGINT NOT NULL,
    differences TEXT NOT NULL
);
-- Orgs with money moving lately, found by payments' time.
CREATE INDEX payments_created_idx ON payments (created_at, org_id);
