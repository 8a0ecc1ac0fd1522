-- Journeys (SOP, PRODUCT.md §3): steps a customer walks once an event starts them
-- (joined through a channel code, or silent for N days). A run is one contact's
-- walk, at most one per journey and contact; `step` is the next step to take and
-- `due_at` when, moved only by a guarded update on the step it read, so two nodes
-- running the same run do each step once. Sends take the touch ledger like
-- campaigns do; tasks are the staff member's to-do list.
CREATE TABLE journeys (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    -- code_joined | inactive
    trigger_kind TEXT NOT NULL,
    -- code_joined: this code only (NULL: any code).
    trigger_code TEXT REFERENCES channel_codes (id) ON DELETE CASCADE,
    -- inactive: days without a conversation message.
    trigger_days BIGINT,
    -- JSON array of [kind, value] pairs.
    steps        TEXT NOT NULL,
    -- draft | active | archived
    status       TEXT NOT NULL,
    created_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    -- A journey is enabled only after a dry run.
    dry_run_at   BIGINT,
    enabled_at   BIGINT
);
CREATE INDEX journeys_org_idx ON journeys (org_id, id);

CREATE TABLE journey_runs (
    id              TEXT PRIMARY KEY,
    journey_id      TEXT NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id      TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    step            BIGINT NOT NULL,
    -- When the current step began (a reply-wait counts replies from then).
    step_started_at BIGINT NOT NULL,
    due_at          BIGINT NOT NULL,
    -- running | done | ended
    status          TEXT NOT NULL,
    -- Why an ended run ended: contact_gone | journey_archived.
    ended_why       TEXT,
    started_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    CONSTRAINT journey_runs_once UNIQUE (journey_id, contact_id)
);
CREATE INDEX journey_runs_due_idx ON journey_runs (status, due_at);
CREATE INDEX journey_runs_contact_idx ON journey_runs (contact_id, status);

-- What each step of each run came to: sent | quiet (sent, shown in the morning) |
-- opted_out (skipped) | tagged | task | waited | replied.
CREATE TABLE journey_steps_done (
    run_id     TEXT NOT NULL REFERENCES journey_runs (id) ON DELETE CASCADE,
    journey_id TEXT NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    step       BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    at         BIGINT NOT NULL,
    CONSTRAINT journey_steps_done_pkey PRIMARY KEY (run_id, step)
);
CREATE INDEX journey_steps_done_journey_idx ON journey_steps_done (journey_id, step, outcome);

CREATE TABLE journey_tasks (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    journey_id TEXT NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    run_id     TEXT NOT NULL REFERENCES journey_runs (id) ON DELETE CASCADE,
    staff_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at    BIGINT
);
CREATE INDEX journey_tasks_staff_idx ON journey_tasks (org_id, staff_id, done_at, id);
