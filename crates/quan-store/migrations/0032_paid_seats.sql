-- A paid seat in a circle: which order bought it. One per circle and account, so a
-- second payment for a seat already held is refunded at once instead of charged
-- twice; the join and leave jobs act only as the seat says (a refund deletes it).
CREATE TABLE paid_seats (
    circle_id  TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    CONSTRAINT paid_seats_pkey PRIMARY KEY (circle_id, account_id)
);
CREATE INDEX paid_seats_order_idx ON paid_seats (order_id);
