-- Search indexing leaves the request path: a write queues its post here (one small
-- row, in the write's own transaction, so nothing is lost on a crash) and the
-- indexer rebuilds queued posts' entries in search_terms in batches. One row per
-- post and per account that queued it, so an author's own pending posts can be
-- indexed first when that author searches; `version` counts re-queues, so a row
-- re-queued while its batch ran is kept for the next batch. Portable SQL, as in 0001.
CREATE TABLE search_queue (
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    circle_id  TEXT NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    queued_at  BIGINT NOT NULL,
    CONSTRAINT search_queue_pkey PRIMARY KEY (post_id, account_id)
);
CREATE INDEX search_queue_at_idx ON search_queue (queued_at);
CREATE INDEX search_queue_account_idx ON search_queue (account_id);
