-- The search index, rebuilt cheaper per row: the post-write profile found its ~30
-- rows per post to be most of the writer's time (each row was a heap tuple, a
-- primary-key entry, a by-post entry and two foreign-key checks).
--  * search_index holds (term, circle, post) under its primary key and nothing
--    else. No foreign keys: posts and circles are never removed (a deleted post is
--    a mark, which the indexer turns into dropping the post's rows).
--  * search_docs keeps each post's current terms, so re-indexing a post deletes
--    exactly the rows it no longer has (by key) and inserts only the new ones.
-- The same tables as migrations-sqlite/0007 (which adds WITHOUT ROWID); every post
-- is queued again and the indexer rebuilds the index in the background.
CREATE TABLE search_docs (
    post_id   TEXT NOT NULL,
    circle_id TEXT NOT NULL,
    terms     TEXT NOT NULL,
    CONSTRAINT search_docs_pkey PRIMARY KEY (post_id)
);

CREATE TABLE search_index (
    term      TEXT NOT NULL,
    circle_id TEXT NOT NULL,
    post_id   TEXT NOT NULL,
    CONSTRAINT search_index_pkey PRIMARY KEY (term, circle_id, post_id)
);

DROP TABLE search_terms;

INSERT INTO search_queue (post_id, account_id, circle_id, version, queued_at)
SELECT id, author_account_id, circle_id, 1, created_at FROM posts WHERE deleted_at IS NULL
ON CONFLICT (post_id, account_id) DO NOTHING;
