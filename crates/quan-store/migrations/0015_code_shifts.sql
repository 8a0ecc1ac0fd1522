-- Weekly shifts on channel codes (PRODUCT.md §3): a JSON array of [staff id, shift]
-- pairs (`mon,tue,wed,thu,fri 09:00-18:00`); staff without one are always on duty.
-- A code with shifts assigns in turn over the staff on duty, then the backup.
ALTER TABLE channel_codes ADD COLUMN shifts TEXT NOT NULL DEFAULT '[]';
