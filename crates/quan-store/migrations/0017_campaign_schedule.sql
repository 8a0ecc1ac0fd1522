-- Scheduled campaigns (PRODUCT.md §3): a draft may be set to plan itself at a
-- later instant (`status` 'scheduled'); the minutely sweep plans it then, and each
-- staff member confirms their share as for one sent at once.
ALTER TABLE campaigns ADD COLUMN scheduled_for BIGINT;
CREATE INDEX campaigns_scheduled_idx ON campaigns (status, scheduled_for);
