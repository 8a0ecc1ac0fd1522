-- Negative feedback on journeys: a deletion, block or opt-out within 48 hours of a
-- journey's message counts against that journey and step, once per customer.
CREATE TABLE journey_negatives (
    journey_id TEXT NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    step       BIGINT NOT NULL,
    staff_id   TEXT NOT NULL,
    -- deleted | opted_out
    kind       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    CONSTRAINT journey_negatives_pkey PRIMARY KEY (journey_id, person_id)
);

-- The inactivity sweep reads an org's live contacts by how long they were silent.
CREATE INDEX contacts_idle_idx ON contacts (org_id, last_talked_at);
