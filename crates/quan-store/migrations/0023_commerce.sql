-- Commerce: the catalog, orders with their reserved stock, payments, the webhooks
-- received, and the sandbox provider's own ledger of charges. Money is BIGINT fen
-- beside its currency; stock can never go below zero (the guarded decrement is the
-- rule, the CHECK the backstop).
CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    category    TEXT NOT NULL,
    circle_id   TEXT REFERENCES circles (id) ON DELETE SET NULL,
    published   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX products_org_idx ON products (org_id, id);

CREATE TABLE skus (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL,
    position   BIGINT NOT NULL,
    name       TEXT NOT NULL,
    price_fen  BIGINT NOT NULL CHECK (price_fen > 0),
    currency   TEXT NOT NULL,
    stock      BIGINT NOT NULL CHECK (stock >= 0),
    -- A SKU taken off its product stays for the orders that name it.
    retired    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX skus_product_idx ON skus (product_id, position);

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    buyer_id        TEXT NOT NULL REFERENCES accounts (id),
    person_id       TEXT REFERENCES persons (id) ON DELETE SET NULL,
    status          TEXT NOT NULL,
    before_refund   TEXT,
    total_fen       BIGINT NOT NULL CHECK (total_fen >= 0),
    currency        TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    paid_at         BIGINT,
    closed_at       BIGINT,
    CONSTRAINT orders_idempotency_key UNIQUE (buyer_id, idempotency_key)
);
CREATE INDEX orders_org_idx ON orders (org_id, id);
CREATE INDEX orders_buyer_idx ON orders (buyer_id, id);

CREATE TABLE order_lines (
    order_id     TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line         BIGINT NOT NULL,
    sku_id       TEXT NOT NULL REFERENCES skus (id),
    product_id   TEXT NOT NULL,
    product_name TEXT NOT NULL,
    sku_name     TEXT NOT NULL,
    unit_fen     BIGINT NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    amount_fen   BIGINT NOT NULL,
    CONSTRAINT order_lines_pkey PRIMARY KEY (order_id, line)
);

CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    order_id     TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    -- pending | succeeded | failed | cancelled
    status       TEXT NOT NULL,
    pay_url      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    settled_at   BIGINT,
    -- Paid after the order let its stock go, with none left: owed back.
    refund_due   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX payments_order_idx ON payments (order_id, status);

-- Every webhook received, refused or applied; a repeated id is a duplicate.
CREATE TABLE payment_webhooks (
    seq         TEXT PRIMARY KEY,
    webhook_id  TEXT NOT NULL,
    provider    TEXT NOT NULL,
    payment_id  TEXT,
    outcome     TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
-- One applied webhook per id (refusals may repeat: they are logged, not applied).
CREATE TABLE payment_webhooks_applied (
    provider   TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    CONSTRAINT payment_webhooks_applied_pkey PRIMARY KEY (provider, webhook_id)
);
CREATE INDEX payment_webhooks_payment_idx ON payment_webhooks (payment_id, received_at);

-- The sandbox provider's side: its charges, one per Quan payment.
CREATE TABLE sandbox_charges (
    id          TEXT PRIMARY KEY,
    payment_id  TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    description TEXT NOT NULL,
    return_url  TEXT NOT NULL,
    -- open | succeeded | failed | cancelled
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    decided_at  BIGINT,
    CONSTRAINT sandbox_charges_payment_key UNIQUE (payment_id)
);
