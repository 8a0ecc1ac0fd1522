-- Paid circle membership: a product of kind 'membership' sells a seat in the circle
-- its `circle_id` names; an order line remembers the circle its payment joins, so
-- settling a payment needs no second look at the catalog.
ALTER TABLE products ADD COLUMN kind TEXT NOT NULL DEFAULT 'goods';
ALTER TABLE order_lines ADD COLUMN joins_circle_id TEXT NULL;
