-- The buyer's reason for the refund they asked (shown to the staff who decide it).
ALTER TABLE orders ADD COLUMN refund_reason TEXT NULL;
