-- Refunds of part of an order: a line asked to be refunded, and the refund that
-- gives it back (each line at most once, so the refunds of an order never pass
-- what was paid). A payment may now have several refunds, one open at a time.
ALTER TABLE order_lines ADD COLUMN refund_asked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN refund_id TEXT NULL;
ALTER TABLE refunds DROP CONSTRAINT refunds_payment_key;
CREATE UNIQUE INDEX refunds_open_key ON refunds (payment_id) WHERE status IN ('pending', 'sent');
-- Refunds so far were of whole orders: each line belongs to its order's refund.
UPDATE order_lines SET refund_id = (
    SELECT f.id FROM refunds f WHERE f.order_id = order_lines.order_id AND f.status <> 'failed'
    ORDER BY f.id LIMIT 1);
UPDATE order_lines SET refund_asked = 1
 WHERE order_id IN (SELECT id FROM orders WHERE status = 'refund_requested');
