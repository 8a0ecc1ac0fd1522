-- Running a circle: invite links, post management (pin, edit history, soft delete),
-- the task/need board, moderation (reports, the log, mutes and bans, sensitive
-- words), and person tags and merges. Portable SQL, as in 0001.

-- Circle invite links. Only a digest of the code is kept; `label` attributes the
-- members who came through it to a channel ("poster at the shop", "WeChat group 3").
CREATE TABLE circle_invites (
    id         TEXT PRIMARY KEY,
    circle_id  TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    label      TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    max_uses   BIGINT NOT NULL,
    uses       BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX circle_invites_code_idx ON circle_invites (code_hash);
CREATE INDEX circle_invites_circle_idx ON circle_invites (circle_id, id);
ALTER TABLE circle_members ADD COLUMN invite_id TEXT;

-- Post management. hidden_at: hidden pending review (reports over the threshold, or
-- a held sensitive word); the author still sees it, moderators see it in the queue.
ALTER TABLE posts ADD COLUMN pinned_at BIGINT;
ALTER TABLE posts ADD COLUMN edited_at BIGINT;
ALTER TABLE posts ADD COLUMN hidden_at BIGINT;
ALTER TABLE posts ADD COLUMN report_weight BIGINT NOT NULL DEFAULT 0;
-- The task/need workflow: open → claimed → delivered → accepted | rejected → closed.
ALTER TABLE posts ADD COLUMN task_state TEXT;
ALTER TABLE posts ADD COLUMN task_assignee TEXT REFERENCES accounts (id);
-- Who sees a post: all (members), only (persons with one of the post's tags), or
-- except (everyone but persons with one of them). Author and circle staff see all.
ALTER TABLE posts ADD COLUMN audience TEXT NOT NULL DEFAULT 'all';
CREATE TABLE post_audience (
    post_id TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    CONSTRAINT post_audience_pkey PRIMARY KEY (post_id, tag)
);
CREATE INDEX posts_circle_pinned_idx ON posts (circle_id, pinned_at);
CREATE INDEX posts_author_idx ON posts (author_account_id, created_at);
CREATE INDEX comments_author_idx ON comments (author_account_id, created_at);

-- Every earlier version of an edited post.
CREATE TABLE post_edits (
    id        TEXT PRIMARY KEY,
    post_id   TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    title     TEXT NOT NULL,
    body      TEXT NOT NULL,
    edited_by TEXT NOT NULL REFERENCES accounts (id),
    edited_at BIGINT NOT NULL
);
CREATE INDEX post_edits_post_idx ON post_edits (post_id, id);

-- Each step of a task's workflow, shown on the post.
CREATE TABLE task_steps (
    id         TEXT PRIMARY KEY,
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    note       TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL
);
CREATE INDEX task_steps_post_idx ON task_steps (post_id, id);

-- Reports: one per reporter per post. weight comes from the reporter's trust level
-- and past accuracy; status: open | upheld | dismissed.
CREATE TABLE reports (
    id          TEXT PRIMARY KEY,
    circle_id   TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    post_id     TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    weight      BIGINT NOT NULL,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by TEXT REFERENCES accounts (id)
);
CREATE UNIQUE INDEX reports_once_idx ON reports (post_id, account_id);
CREATE INDEX reports_circle_idx ON reports (circle_id, status, id);
CREATE INDEX reports_account_idx ON reports (account_id, status);

-- The public moderation log of a circle: who did what, to what, when and why.
CREATE TABLE mod_log (
    id         TEXT PRIMARY KEY,
    circle_id  TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    account_id TEXT REFERENCES accounts (id),
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL
);
CREATE INDEX mod_log_circle_idx ON mod_log (circle_id, id);

-- Mutes (may read, may not write) and bans (out, may not rejoin) with an expiry
-- (NULL: until lifted).
CREATE TABLE circle_sanctions (
    circle_id  TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    until_at   BIGINT,
    reason     TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    CONSTRAINT circle_sanctions_pkey PRIMARY KEY (circle_id, account_id, kind)
);

-- Sensitive words per org; action: reject | hold (hidden pending review).
CREATE TABLE sensitive_words (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    word       TEXT NOT NULL,
    action     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT sensitive_words_pkey PRIMARY KEY (org_id, word)
);

-- Person tags, and merges that can be undone: the merged person is kept, pointing
-- at the survivor, and `moved` lists exactly which rows moved so undo puts them back.
CREATE TABLE person_tags (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT person_tags_pkey PRIMARY KEY (person_id, tag)
);
CREATE INDEX person_tags_org_idx ON person_tags (org_id, tag);
ALTER TABLE persons ADD COLUMN merged_into TEXT REFERENCES persons (id);
CREATE TABLE person_merges (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    survivor_id TEXT NOT NULL REFERENCES persons (id),
    merged_id   TEXT NOT NULL REFERENCES persons (id),
    actor       TEXT REFERENCES accounts (id),
    reason      TEXT NOT NULL,
    moved       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    undone_at   BIGINT,
    undone_by   TEXT REFERENCES accounts (id)
);
CREATE INDEX person_merges_org_idx ON person_merges (org_id, id);
CREATE INDEX person_merges_person_idx ON person_merges (survivor_id);

-- In-app notifications: replies, mentions, reactions, approvals, moderation results
-- and task steps, per account; pushed live on the bus topic account:<id>.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    circle_id  TEXT REFERENCES circles (id) ON DELETE CASCADE,
    post_id    TEXT REFERENCES posts (id) ON DELETE CASCADE,
    actor_name TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_account_idx ON notifications (account_id, id);
CREATE INDEX notifications_unread_idx ON notifications (account_id) WHERE read_at IS NULL;

-- Kinds a person turned off (absent: on).
CREATE TABLE notify_muted (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    CONSTRAINT notify_muted_pkey PRIMARY KEY (account_id, kind)
);

-- Search: a portable inverted index (the same SQL on both backends). Terms are made
-- by quan_domain::search_terms: lower-cased words, and for Chinese (and other CJK)
-- text every character and every pair of neighbouring characters, so a search for
-- 乌龙 or 茶 finds 桂花乌龙茶 without a word segmenter. Comments index into their post.
CREATE TABLE search_terms (
    term      TEXT NOT NULL,
    post_id   TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    circle_id TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    CONSTRAINT search_terms_pkey PRIMARY KEY (term, circle_id, post_id)
);
CREATE INDEX search_terms_post_idx ON search_terms (post_id);

-- Images: bytes live in the BlobStore (files on disk by default) under their SHA-256;
-- this row says who uploaded what where. A post holds up to nine, in order.
CREATE TABLE images (
    id           TEXT PRIMARY KEY,
    circle_id    TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sha256       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX images_circle_idx ON images (circle_id, id);
CREATE TABLE post_images (
    post_id  TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    CONSTRAINT post_images_pkey PRIMARY KEY (post_id, image_id)
);
CREATE INDEX post_images_image_idx ON post_images (image_id);

-- Discovery: a quality score per circle (recomputed by the circles.quality job), and
-- a staff review gate before a public circle is boosted, with a public log.
ALTER TABLE circles ADD COLUMN quality_score DOUBLE PRECISION NOT NULL DEFAULT 0;
-- none | pending | approved | rejected
ALTER TABLE circles ADD COLUMN boost_status TEXT NOT NULL DEFAULT 'none';
CREATE INDEX circles_quality_idx ON circles (public, quality_score);
CREATE TABLE boost_log (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    circle_id  TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    action     TEXT NOT NULL,
    account_id TEXT REFERENCES accounts (id),
    reason     TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL
);
CREATE INDEX boost_log_org_idx ON boost_log (org_id, id);

-- A chat message may carry one image (uploaded to the circle like a post's).
ALTER TABLE chat_messages ADD COLUMN image_id TEXT REFERENCES images (id) ON DELETE SET NULL;
CREATE INDEX chat_messages_image_idx ON chat_messages (image_id);
