-- Moments (朋友圈, PRODUCT.md §3): a staff member's posts to their customers, seen by
-- those with one of its tags (no tags: all of them), at most three a day per
-- customer across staff; a customer's likes and comments are seen only by the
-- moment's author and the customer.
CREATE TABLE moments (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    staff_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    -- JSON array of tags; empty: every customer of the author.
    tags       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX moments_staff_idx ON moments (staff_id, created_at);
CREATE INDEX moments_org_idx ON moments (org_id, id);

CREATE TABLE moment_likes (
    moment_id  TEXT NOT NULL REFERENCES moments (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    CONSTRAINT moment_likes_pkey PRIMARY KEY (moment_id, person_id)
);

CREATE TABLE moment_comments (
    id         TEXT PRIMARY KEY,
    moment_id  TEXT NOT NULL REFERENCES moments (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX moment_comments_moment_idx ON moment_comments (moment_id, created_at);
