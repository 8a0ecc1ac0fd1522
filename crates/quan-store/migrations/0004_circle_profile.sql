-- A circle's cover and tags, posts' topic tags, and the two activity signals trust levels read that
-- 0003 did not track: days visited and posts read. Portable SQL, as in 0001.

-- The cover is an image uploaded to the circle (images, 0003); whoever may see the
-- circle may see its cover. Tags: lower-case labels joined by ',' (at most five),
-- matched in discovery with ',' || tags || ',' LIKE '%,tag,%'.
ALTER TABLE circles ADD COLUMN cover_image_id TEXT REFERENCES images (id) ON DELETE SET NULL;
ALTER TABLE circles ADD COLUMN tags TEXT NOT NULL DEFAULT '';

-- One row per member per circle per UTC day on which they read it (feed, post or
-- chat). Written at most once a day per member per node (an in-process guard), and
-- idempotent across nodes (the primary key).
CREATE TABLE circle_visits (
    circle_id  TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    CONSTRAINT circle_visits_pkey PRIMARY KEY (circle_id, account_id, day)
);

-- Posts a member has opened (the post page), once each.
CREATE TABLE post_views (
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    circle_id  TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    viewed_at  BIGINT NOT NULL,
    CONSTRAINT post_views_pkey PRIMARY KEY (post_id, account_id)
);
CREATE INDEX post_views_member_idx ON post_views (circle_id, account_id);

-- Uploaded files' bytes kept in the database (`[storage] blobs = "database"`): the
-- cluster choice when nodes share no disk. Keyed by SHA-256 like the disk store.
-- BYTEA is PostgreSQL's binary type; SQLite stores the blob as given.
CREATE TABLE blobs (
    key   TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL
);

-- A post's topic tags (#新品, #活动): lower-case labels joined by ',' (at most five),
-- shown with the post and filtered on like circle tags.
ALTER TABLE posts ADD COLUMN tags TEXT NOT NULL DEFAULT '';
