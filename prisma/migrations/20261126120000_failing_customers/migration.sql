-- `track list --failing` and `status` page through the customers whose last check failed, in
-- id order: without an index of their own, each page walked the primary key past every customer
-- that did not fail (a second at 1,000,000 customers). Partial, so it holds the failing ones
-- only, and an update that leaves `last_outcome` as it was (an unchanged 'ok', nearly every
-- check) stays heap-only (HOT): Postgres compares the indexed and predicate columns' values.
CREATE INDEX "tracked_customers_failing_idx" ON "tracked_customers" ("customer_id") WHERE "last_outcome" = 'failed';
