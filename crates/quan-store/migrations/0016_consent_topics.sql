-- Consent topics (PRODUCT.md §3): besides campaigns (`opted_out`), a person may turn
-- off an org's journey messages and its staff's moments. Someone who had opted out
-- before keeps hearing nothing.
ALTER TABLE reach_consent ADD COLUMN no_journeys BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reach_consent ADD COLUMN no_moments BIGINT NOT NULL DEFAULT 0;
UPDATE reach_consent SET no_journeys = opted_out, no_moments = opted_out;
