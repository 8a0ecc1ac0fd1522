-- Refunds of part of an order: a line asked to be refunded, and the refund that
-- gives it back (each line at most once, so the refunds of an order never pass
-- what was paid). A payment may now have several refunds, one open at a time.
-- SQLite cannot drop a table's constraint: the refunds table is made again.
ALTER TABLE order_lines ADD COLUMN refund_asked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN refund_id TEXT NULL;
CREATE TABLE refunds_lines_era (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_id TEXT NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    currency   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    settled_at BIGINT
);
INSERT INTO refunds_lines_era (id, org_id, order_id, payment_id, amount_fen, currency, reason, status, created_at, settled_at)
    SELECT id, org_id, order_id, payment_id, amount_fen, currency, reason, status, created_at, settled_at FROM refunds;
DROP TABLE refunds;
ALTER TABLE refunds_lines_era RENAME TO refunds;
CREATE INDEX refunds_order_idx ON refunds (order_id);
CREATE UNIQUE INDEX refunds_open_key ON refunds (payment_id) WHERE status IN ('pending', 'sent');
-- Refunds so far were of whole orders: each line belongs to its order's refund.
UPDATE order_lines SET refund_id = (
    SELECT f.id FROM refunds f WHERE f.order_id = order_lines.order_id AND f.status <> 'failed'
    ORDER BY f.id LIMIT 1);
UPDATE order_lines SET refund_asked = 1
 WHERE order_id IN (SELECT id FROM orders WHERE status = 'refund_requested');
