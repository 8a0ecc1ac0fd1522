-- Campaigns to circle chat rooms (PRODUCT.md §3): one message per room, at most
-- ROOM_DAILY_CAP (one) campaign message per room per local day in the org's zone.
-- The rooms a campaign targets are in its segment's JSON; these are its plan.
CREATE TABLE campaign_rooms (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    room_id     TEXT NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
    -- send | room_daily (the room had its campaign message that day) | failed
    outcome     TEXT NOT NULL,
    -- The chat message it became once its staff member confirmed.
    message_id  TEXT,
    CONSTRAINT campaign_rooms_pkey PRIMARY KEY (campaign_id, room_id)
);
-- The per-room daily ledger: the primary key is the cap, so two campaigns planned at
-- once never both take a room's day.
CREATE TABLE room_touches (
    room_id     TEXT NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    CONSTRAINT room_touches_pkey PRIMARY KEY (room_id, day)
);
