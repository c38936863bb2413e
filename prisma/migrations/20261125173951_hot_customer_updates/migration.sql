-- DropIndex
DROP INDEX "tracked_customers_last_scan_id_last_outcome_idx";

-- Every check rewrites its customer's row (last_checked_at, last_outcome, ...). With free room on
-- each page those updates are heap-only (HOT): no index writes, and old versions are pruned in
-- place instead of piling up until vacuum. Applies to pages written from now on.
ALTER TABLE "tracked_customers" SET (fillfactor = 70);
