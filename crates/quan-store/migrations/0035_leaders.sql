-- Community group buying's leaders (团长), each with a pickup point: where it is
-- (whole microdegrees, exact on both engines), what it is, when it opens, how far
-- it serves (100 m to 5 km: the CHECK backs the domain's rule), how many orders a
-- day it holds and the leader's commission. An offline leader's point is served by
-- their stand-in, if one is online. Buyers are matched through each node's
-- in-memory R-tree, never by scanning this table (a node reads it whole only to
-- build that tree at start, in keyset pages of its primary key).
CREATE TABLE leaders (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id    TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    point_name    TEXT NOT NULL,
    address       TEXT NOT NULL,
    lat_e6        BIGINT NOT NULL CHECK (lat_e6 BETWEEN -90000000 AND 90000000),
    lon_e6        BIGINT NOT NULL CHECK (lon_e6 BETWEEN -180000000 AND 180000000),
    -- home | store | parcel_station
    kind          TEXT NOT NULL,
    hours         TEXT NOT NULL DEFAULT '',
    radius_m      BIGINT NOT NULL CHECK (radius_m BETWEEN 100 AND 5000),
    capacity      BIGINT NOT NULL CHECK (capacity > 0),
    commission_bp BIGINT NOT NULL CHECK (commission_bp BETWEEN 0 AND 3000),
    online        BIGINT NOT NULL DEFAULT 1,
    stand_in      TEXT REFERENCES leaders (id) ON DELETE SET NULL,
    active        BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX leaders_org_idx ON leaders (org_id, id);
