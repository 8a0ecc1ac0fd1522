-- A moment reaches a customer when their feed shows it; the first showing is kept.
-- It is the moment's "delivered" (the denominator of its negative rate) and what
-- negative feedback in the 48 hours after it may blame.
CREATE TABLE moment_views (
    moment_id TEXT NOT NULL REFERENCES moments (id) ON DELETE CASCADE,
    person_id TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    seen_at   BIGINT NOT NULL,
    CONSTRAINT moment_views_pkey PRIMARY KEY (moment_id, person_id)
);
CREATE INDEX moment_views_person_idx ON moment_views (person_id, seen_at);

-- A deletion, block or opt-out blamed on a moment: once per customer and moment.
CREATE TABLE moment_negatives (
    moment_id TEXT NOT NULL REFERENCES moments (id) ON DELETE CASCADE,
    person_id TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    staff_id  TEXT NOT NULL,
    -- deleted | opted_out
    kind      TEXT NOT NULL,
    at        BIGINT NOT NULL,
    CONSTRAINT moment_negatives_pkey PRIMARY KEY (moment_id, person_id)
);
CREATE INDEX moment_negatives_staff_idx ON moment_negatives (staff_id);
