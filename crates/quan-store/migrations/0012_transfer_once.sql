-- At most one pending transfer per person: two batches started at once cannot hand
-- the same customer to two receivers.
CREATE UNIQUE INDEX transfers_pending_person_key ON transfers (person_id) WHERE status = 'pending';
