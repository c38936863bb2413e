-- AlterTable
ALTER TABLE "tracked_customers" ADD COLUMN     "last_ok_at" TIMESTAMPTZ(3);

-- A customer whose last check succeeded had its last successful check then.
UPDATE "tracked_customers" SET "last_ok_at" = "last_checked_at" WHERE "last_outcome" = 'ok';
