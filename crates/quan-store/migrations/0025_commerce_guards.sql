-- At most one open payment per order: a double click on "Pay" (or a retry after a
-- failed try) reuses it rather than opening a second charge that could be paid too.
CREATE UNIQUE INDEX payments_one_open_idx ON payments (order_id) WHERE status = 'pending';
-- The org's payments, for its webhook log.
CREATE INDEX payments_org_idx ON payments (org_id, id);

-- A moment's latest showing to a customer, which negative feedback blames within
-- its window (the first showing stays the moment's reach).
ALTER TABLE moment_views ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE moment_views SET last_seen_at = seen_at;
CREATE INDEX moment_views_last_idx ON moment_views (person_id, last_seen_at);
