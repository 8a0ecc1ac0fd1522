-- Carts: what a buyer put aside in one shop, one row per SKU. Nothing is reserved
-- until the order: a cart moves no stock and no money.
CREATE TABLE cart_lines (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    sku_id     TEXT NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    added_at   BIGINT NOT NULL,
    CONSTRAINT cart_lines_pkey PRIMARY KEY (account_id, org_id, sku_id)
);
-- An org's deletion cascades to its carts' lines.
CREATE INDEX cart_lines_org_idx ON cart_lines (org_id);
