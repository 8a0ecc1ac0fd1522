-- Circles: circles with their mode presets, memberships, posts and the stored hot
-- rank of the feed. Portable SQL, as in 0001.

CREATE TABLE circles (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    mode          TEXT NOT NULL,
    join_policy   TEXT NOT NULL,
    posting       TEXT NOT NULL,
    forwarding    BIGINT NOT NULL,
    read_receipts BIGINT NOT NULL,
    public        BIGINT NOT NULL,
    member_count  BIGINT NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL REFERENCES accounts (id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX circles_org_idx ON circles (org_id, id);

-- One row per account per circle. status: active | pending (awaiting approval).
-- role_seq orders moderators: an earlier moderator outranks a later one.
CREATE TABLE circle_members (
    circle_id   TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    status      TEXT NOT NULL,
    is_member   BIGINT NOT NULL DEFAULT 1,
    is_customer BIGINT NOT NULL DEFAULT 0,
    is_fan      BIGINT NOT NULL DEFAULT 0,
    role_seq    BIGINT NOT NULL,
    joined_at   BIGINT NOT NULL,
    CONSTRAINT circle_members_pkey PRIMARY KEY (circle_id, account_id)
);
CREATE INDEX circle_members_account_idx ON circle_members (account_id);
CREATE INDEX circle_members_person_idx ON circle_members (person_id);

CREATE TABLE posts (
    id                TEXT PRIMARY KEY,
    circle_id         TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    org_id            TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    author_account_id TEXT NOT NULL REFERENCES accounts (id),
    author_person_id  TEXT NOT NULL REFERENCES persons (id),
    kind              TEXT NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    score             BIGINT NOT NULL DEFAULT 0,
    comment_count     BIGINT NOT NULL DEFAULT 0,
    -- Materialised by the rank job, never computed per request.
    hot_rank          DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_activity_at  BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    deleted_at        BIGINT,
    -- The chat message this topic was promoted from, if any.
    source_message_id TEXT
);
CREATE INDEX posts_circle_new_idx ON posts (circle_id, id);
CREATE INDEX posts_circle_hot_idx ON posts (circle_id, hot_rank, id);
CREATE INDEX posts_ranked_idx ON posts (created_at) WHERE hot_rank > 0;

-- Comments, threaded two levels deep: a reply to a reply joins its top-level thread.
CREATE TABLE comments (
    id                TEXT PRIMARY KEY,
    post_id           TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id         TEXT REFERENCES comments (id) ON DELETE CASCADE,
    author_account_id TEXT NOT NULL REFERENCES accounts (id),
    author_person_id  TEXT NOT NULL REFERENCES persons (id),
    body              TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    deleted_at        BIGINT
);
CREATE INDEX comments_post_idx ON comments (post_id, id);
CREATE INDEX comments_parent_idx ON comments (parent_id);

-- One reaction of each kind per person per post; the post's score counts them.
CREATE TABLE reactions (
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT reactions_pkey PRIMARY KEY (post_id, person_id, kind)
);

-- Keyset indexes for the "top" and "active" feed sorts.
CREATE INDEX posts_circle_top_idx ON posts (circle_id, score, id);
CREATE INDEX posts_circle_active_idx ON posts (circle_id, last_activity_at, id);

-- What others may see of a person's posts: 0 = everything, else the last N days.
-- A read-time filter; nothing is deleted.
ALTER TABLE accounts ADD COLUMN history_window_days BIGINT NOT NULL DEFAULT 0;

-- Group chat fused with the circle: rooms (one default per circle), messages, and
-- each member's read position for unread counts.
CREATE TABLE chat_rooms (
    id         TEXT PRIMARY KEY,
    circle_id  TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    is_default BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_rooms_circle_idx ON chat_rooms (circle_id, id);

CREATE TABLE chat_messages (
    id                TEXT PRIMARY KEY,
    room_id           TEXT NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
    author_account_id TEXT NOT NULL REFERENCES accounts (id),
    author_person_id  TEXT NOT NULL REFERENCES persons (id),
    body              TEXT NOT NULL,
    reply_to          TEXT REFERENCES chat_messages (id) ON DELETE SET NULL,
    promoted_post_id  TEXT REFERENCES posts (id) ON DELETE SET NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX chat_messages_room_idx ON chat_messages (room_id, id);

CREATE TABLE chat_reads (
    room_id      TEXT NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    last_read_id TEXT NOT NULL,
    CONSTRAINT chat_reads_pkey PRIMARY KEY (room_id, account_id)
);

-- Read receipts on notices: who has read which notice, and when.
CREATE TABLE notice_reads (
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    read_at    BIGINT NOT NULL,
    CONSTRAINT notice_reads_pkey PRIMARY KEY (post_id, account_id)
);

-- Daily check-ins (打卡): one per member per circle per UTC day (day = days since
-- the epoch). Streaks are kept on the membership, updated in the check-in's
-- transaction, so the leaderboard is one indexed query.
CREATE TABLE checkins (
    circle_id  TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT checkins_pkey PRIMARY KEY (circle_id, account_id, day)
);
ALTER TABLE circle_members ADD COLUMN streak BIGINT NOT NULL DEFAULT 0;
ALTER TABLE circle_members ADD COLUMN best_streak BIGINT NOT NULL DEFAULT 0;
ALTER TABLE circle_members ADD COLUMN last_checkin_day BIGINT NOT NULL DEFAULT -1;
ALTER TABLE circle_members ADD COLUMN checkin_count BIGINT NOT NULL DEFAULT 0;
CREATE INDEX circle_members_streak_idx ON circle_members (circle_id, streak);
