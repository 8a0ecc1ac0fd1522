-- A product's pictures, in the order the shop shows them (the first is its card's).
-- The bytes live in the blob store by their digest; a row is what the shop knows.
CREATE TABLE product_images (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    product_id   TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    thumb_sha256 TEXT NOT NULL,
    thumb_type   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX product_images_product_idx ON product_images (product_id, position);
CREATE INDEX product_images_org_idx ON product_images (org_id);
