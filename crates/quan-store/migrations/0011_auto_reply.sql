-- Auto-reply (PRODUCT.md §3): an org's rules in order, its business hours and the
-- reply sent outside them; a hand-off to a person pauses auto-replies in that
-- conversation for a while.
CREATE TABLE auto_replies (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    -- keyword | regex
    kind       TEXT NOT NULL,
    pattern    TEXT NOT NULL,
    -- answer | handoff
    action     TEXT NOT NULL,
    answer     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX auto_replies_org_idx ON auto_replies (org_id, id);

CREATE TABLE auto_reply_settings (
    org_id         TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    -- HH:MM-HH:MM in the org's zone; empty: always open.
    business_hours TEXT NOT NULL,
    away_message   TEXT NOT NULL
);

ALTER TABLE contacts ADD COLUMN auto_paused_until BIGINT;
