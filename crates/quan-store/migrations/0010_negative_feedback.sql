-- Negative feedback (PRODUCT.md §3): a deletion, block or opt-out within 48 hours of
-- a campaign message counts against that campaign, once per customer; a campaign
-- whose negatives in its first hour reach the org's threshold (basis points of
-- delivered, 200 = 2 %) is paused.
ALTER TABLE reach_policies ADD COLUMN negative_pause_bp BIGINT NOT NULL DEFAULT 200;

CREATE TABLE campaign_negatives (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    staff_id    TEXT NOT NULL,
    -- deleted | opted_out
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    CONSTRAINT campaign_negatives_pkey PRIMARY KEY (campaign_id, person_id)
);
CREATE INDEX campaign_negatives_staff_idx ON campaign_negatives (staff_id);
