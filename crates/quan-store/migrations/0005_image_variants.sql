-- Images are decoded on upload: their upright size and a thumbnail for feed
-- cards are kept beside the cleaned original. Images stored before keep 0 x 0 and no
-- thumbnail, and serve their original in its place. Portable SQL, as in 0001.
ALTER TABLE images ADD COLUMN width BIGINT NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN height BIGINT NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN thumb_sha256 TEXT;
ALTER TABLE images ADD COLUMN thumb_content_type TEXT;
