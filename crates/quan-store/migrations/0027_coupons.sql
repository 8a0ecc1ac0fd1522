-- Coupons: an org's coupons with their supply (`claimed` never passes `supply`: a
-- guarded increment is the rule, the CHECK the backstop), each person's count
-- against the per-person limit (a guarded upsert, never count-then-insert), the
-- claims in wallets (keyed, so a retried claim returns the first), and each org's
-- stacking matrix. An order names the claim it spent; its lines keep the list
-- price and their apportioned part of the coupon.
CREATE TABLE coupons (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    -- fixed | percent | threshold
    kind          TEXT NOT NULL,
    off_fen       BIGINT,
    percent       BIGINT,
    cap_fen       BIGINT,
    min_spend_fen BIGINT,
    -- all | categories | products; the names or ids one per line
    scope         TEXT NOT NULL,
    scope_items   TEXT NOT NULL,
    -- Fixed dates, or valid_days after each claim.
    valid_from    BIGINT,
    valid_until   BIGINT,
    valid_days    BIGINT,
    supply        BIGINT NOT NULL CHECK (supply > 0),
    claimed       BIGINT NOT NULL DEFAULT 0 CHECK (claimed >= 0 AND claimed <= supply),
    per_person    BIGINT NOT NULL CHECK (per_person > 0),
    ended         BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX coupons_org_idx ON coupons (org_id, id);

CREATE TABLE coupon_holders (
    coupon_id  TEXT NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    claimed    BIGINT NOT NULL CHECK (claimed >= 0),
    CONSTRAINT coupon_holders_pkey PRIMARY KEY (coupon_id, account_id)
);

CREATE TABLE coupon_claims (
    id              TEXT PRIMARY KEY,
    coupon_id       TEXT NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    idempotency_key TEXT NOT NULL,
    claimed_at      BIGINT NOT NULL,
    valid_from      BIGINT NOT NULL,
    valid_until     BIGINT NOT NULL,
    order_id        TEXT REFERENCES orders (id) ON DELETE SET NULL,
    CONSTRAINT coupon_claims_key UNIQUE (account_id, idempotency_key)
);
CREATE INDEX coupon_claims_wallet_idx ON coupon_claims (account_id, org_id, id);
-- A checkout reads the buyer's unspent claims of the shop, soonest to expire first.
CREATE INDEX coupon_claims_usable_idx ON coupon_claims (account_id, org_id, valid_until) WHERE order_id IS NULL;
CREATE INDEX coupon_claims_order_idx ON coupon_claims (order_id);
-- The console counts a coupon's spent claims.
CREATE INDEX coupon_claims_spent_idx ON coupon_claims (coupon_id) WHERE order_id IS NOT NULL;

CREATE TABLE commerce_stacking (
    org_id      TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    layer_order TEXT NOT NULL,
    combine     TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

ALTER TABLE orders ADD COLUMN coupon_claim_id TEXT;
-- NULL on lines written before: their list price is their unit price.
ALTER TABLE order_lines ADD COLUMN list_unit_fen BIGINT;
ALTER TABLE order_lines ADD COLUMN coupon_off_fen BIGINT NOT NULL DEFAULT 0;
