-- Refunds: the whole of one payment given back, at most once per payment. A row
-- and its job are written in the transaction that decided the refund (the outbox),
-- so a crash between the decision and the provider's call loses nothing.
CREATE TABLE refunds (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_id TEXT NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    currency   TEXT NOT NULL,
    -- requested | paid_too_late
    reason     TEXT NOT NULL,
    -- pending | sent | succeeded | failed
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    settled_at BIGINT,
    CONSTRAINT refunds_payment_key UNIQUE (payment_id)
);
CREATE INDEX refunds_order_idx ON refunds (order_id);

-- The sandbox provider's refunds, keyed by Quan's refund id (asked twice, once).
CREATE TABLE sandbox_refunds (
    id         TEXT PRIMARY KEY,
    charge_id  TEXT NOT NULL REFERENCES sandbox_charges (id),
    amount_fen BIGINT NOT NULL,
    currency   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sandbox_refunds_charge_idx ON sandbox_refunds (charge_id);
