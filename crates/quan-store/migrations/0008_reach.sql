-- Reach (PRODUCT.md §3): the org's versioned touch policy, staff ↔ customer contacts
-- with a per-staff count kept by guarded increments (the cap holds under concurrent
-- adds), channel codes, 1:1 conversation messages, campaigns with their recipients
-- and staff shares, the touch ledger, and consent. Portable SQL, as in 0001.

-- One row per version; the version in force at an instant is the newest whose
-- effective_from has passed.
CREATE TABLE reach_policies (
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    version        BIGINT NOT NULL,
    effective_from BIGINT NOT NULL,
    budget         TEXT NOT NULL,
    quiet_hours    TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    contact_cap    BIGINT NOT NULL,
    created_by     TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    CONSTRAINT reach_policies_pkey PRIMARY KEY (org_id, version)
);

CREATE TABLE contacts (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    staff_id       TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    person_id      TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    -- code | manual | invite | import
    source         TEXT NOT NULL,
    code_id        TEXT,
    added_at       BIGINT NOT NULL,
    -- Routing: a customer with several staff hears from the one they last talked with.
    last_talked_at BIGINT NOT NULL,
    removed_at     BIGINT,
    -- staff | customer
    removed_by     TEXT
);
-- One live relationship per staff member and person; a removed one may be re-made.
CREATE UNIQUE INDEX contacts_live_key ON contacts (org_id, staff_id, person_id) WHERE removed_at IS NULL;
CREATE INDEX contacts_person_idx ON contacts (person_id, removed_at);
CREATE INDEX contacts_staff_idx ON contacts (org_id, staff_id, id);

-- Live contacts per staff member, moved only by guarded updates.
CREATE TABLE contact_counts (
    org_id   TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    staff_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    n        BIGINT NOT NULL,
    CONSTRAINT contact_counts_pkey PRIMARY KEY (org_id, staff_id)
);

CREATE TABLE channel_codes (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    -- The link's random part.
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    -- JSON array of account ids, in turn order.
    staff       TEXT NOT NULL,
    backup_id   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    -- JSON array of tags given to each new contact.
    tags        TEXT NOT NULL,
    welcome     TEXT NOT NULL,
    turn        BIGINT NOT NULL DEFAULT 0,
    opens       BIGINT NOT NULL DEFAULT 0,
    adds        BIGINT NOT NULL DEFAULT 0,
    created_by  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE UNIQUE INDEX channel_codes_slug_key ON channel_codes (slug);
CREATE INDEX channel_codes_org_idx ON channel_codes (org_id, id);

-- A 1:1 conversation is a contact's messages. `visible_at` is when a message shows:
-- later than `created_at` for one held by quiet hours (it waits, never drops).
-- `dedupe` makes a welcome or a campaign message exactly once per recipient.
CREATE TABLE reach_messages (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id  TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    from_staff  BIGINT NOT NULL,
    -- message | welcome | campaign
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    campaign_id TEXT,
    dedupe      TEXT,
    created_at  BIGINT NOT NULL,
    visible_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE UNIQUE INDEX reach_messages_dedupe_key ON reach_messages (dedupe);
CREATE INDEX reach_messages_contact_idx ON reach_messages (contact_id, id);
CREATE INDEX reach_messages_campaign_idx ON reach_messages (campaign_id);

CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    template    TEXT NOT NULL,
    -- JSON: the segment as the console saved it.
    segment     TEXT NOT NULL,
    -- draft | planning | confirming | sent
    status      TEXT NOT NULL,
    created_by  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    planned_at  BIGINT,
    send_at     BIGINT,
    recipients  BIGINT NOT NULL DEFAULT 0,
    over_budget BIGINT NOT NULL DEFAULT 0,
    staff_daily BIGINT NOT NULL DEFAULT 0,
    opted_out   BIGINT NOT NULL DEFAULT 0,
    routed      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_org_idx ON campaigns (org_id, id);

-- One row per person a campaign planned for, with what the plan decided.
CREATE TABLE campaign_recipients (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    contact_id  TEXT,
    staff_id    TEXT,
    -- send | over_budget | staff_daily | opted_out
    outcome     TEXT NOT NULL,
    CONSTRAINT campaign_recipients_pkey PRIMARY KEY (campaign_id, person_id)
);
CREATE INDEX campaign_recipients_staff_idx ON campaign_recipients (campaign_id, staff_id, outcome);

-- Each staff member's part of a campaign, which they confirm before it goes out.
CREATE TABLE campaign_shares (
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    staff_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    recipients   BIGINT NOT NULL,
    confirmed_at BIGINT,
    CONSTRAINT campaign_shares_pkey PRIMARY KEY (campaign_id, staff_id)
);

-- The touch ledger: touches per customer per budget period (`m2026-12`), moved by a
-- guarded upsert so concurrent campaigns never pass the limit, and one row per
-- staff member, customer and local day for the one-mass-message-a-day rule.
CREATE TABLE touch_counts (
    org_id    TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    person_id TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    period    TEXT NOT NULL,
    used      BIGINT NOT NULL,
    CONSTRAINT touch_counts_pkey PRIMARY KEY (org_id, person_id, period)
);
CREATE TABLE staff_touches (
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    staff_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    CONSTRAINT staff_touches_pkey PRIMARY KEY (org_id, staff_id, person_id, day)
);

-- What a person allows an org; no row means the defaults (campaigns allowed).
CREATE TABLE reach_consent (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    opted_out  BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT reach_consent_pkey PRIMARY KEY (org_id, person_id)
);

-- A person's reach history is read from the event log by subject.
CREATE INDEX events_subject_idx ON events (subject, id);
