-- Flash sales (秒杀): one SKU at a sale price in a time slot, from stock set aside
-- from the SKU when the slot is made. `remaining` is what the sale can still sell
-- (a guarded decrement per order, given back when an unpaid order lapses); at its
-- end the slot closes and what is left goes back to the SKU. Its terms never change.
CREATE TABLE flash_sales (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku_id      TEXT NOT NULL REFERENCES skus (id),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    price_fen   BIGINT NOT NULL CHECK (price_fen > 0),
    currency    TEXT NOT NULL,
    stock       BIGINT NOT NULL CHECK (stock > 0),
    per_person  BIGINT NOT NULL CHECK (per_person > 0),
    remaining   BIGINT NOT NULL CHECK (remaining >= 0),
    closed      BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
CREATE INDEX flash_sales_org_idx ON flash_sales (org_id, id);
CREATE INDEX flash_sales_product_idx ON flash_sales (product_id, ends_at);

-- What each buyer holds of a slot: one row per buyer, moved by a guarded upsert
-- (never count-then-insert), so no buyer passes the per-person limit.
CREATE TABLE flash_buyers (
    sale_id  TEXT NOT NULL REFERENCES flash_sales (id) ON DELETE CASCADE,
    buyer_id TEXT NOT NULL,
    bought   BIGINT NOT NULL CHECK (bought >= 0),
    CONSTRAINT flash_buyers_pkey PRIMARY KEY (sale_id, buyer_id)
);

-- The slot an order was bought in: its stock and the buyer's allowance go back to
-- the slot when it lapses unpaid.
ALTER TABLE orders ADD COLUMN flash_sale_id TEXT REFERENCES flash_sales (id);
