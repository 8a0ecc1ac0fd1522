-- Delivery channels beyond the member app (issue 9): a campaign may also go out by
-- e-mail and to the org's signed webhook, and may carry a link whose clicks are
-- counted. Each message's outside deliveries are an outbox: written in the same
-- transaction as the message, drained by the `reach.deliver` job with retries.
ALTER TABLE campaigns ADD COLUMN deliver_email BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN deliver_webhook BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN link_url TEXT;
ALTER TABLE campaigns ADD COLUMN link_title TEXT;
ALTER TABLE reach_messages ADD COLUMN clicked_at BIGINT;

-- The org's delivery webhook (Standard Webhooks): the secret signs, so it is kept.
CREATE TABLE reach_endpoints (
    org_id     TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE reach_deliveries (
    message_id TEXT NOT NULL REFERENCES reach_messages (id) ON DELETE CASCADE,
    channel    TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    -- pending, sent, failed (retries spent or refused), skipped (no address, opted out)
    status     TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    last_error TEXT,
    done_at    BIGINT,
    CONSTRAINT reach_deliveries_pkey PRIMARY KEY (message_id, channel)
);
CREATE INDEX reach_deliveries_due_idx ON reach_deliveries (status, next_at);
CREATE INDEX reach_deliveries_campaign_idx ON reach_deliveries (campaign_id, channel, status);
