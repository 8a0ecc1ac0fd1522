-- Consent frequency (PRODUCT.md §3, "at most weekly"): a person may ask an org for at
-- most one message (campaign or journey) a week, on top of the org's budget.
-- `own_period` is the week (`p2026-W49`) of the last message that counted: the
-- guarded write that takes a week sets it only when it is another week, so two
-- concurrent campaigns never both reach someone in the same week.
ALTER TABLE reach_consent ADD COLUMN weekly BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reach_consent ADD COLUMN own_period TEXT;
-- Of a campaign's over-budget customers, those held back by their own week.
ALTER TABLE campaigns ADD COLUMN weekly BIGINT NOT NULL DEFAULT 0;
