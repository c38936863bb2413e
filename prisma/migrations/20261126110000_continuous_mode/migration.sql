-- AlterTable
ALTER TABLE "tracked_customers" ADD COLUMN     "due_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "due_priority" SMALLINT NOT NULL DEFAULT 3;

-- AlterTable
ALTER TABLE "scans" ADD COLUMN     "selection" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateIndex
CREATE INDEX "tracked_customers_active_due_priority_due_at_idx" ON "tracked_customers"("active", "due_priority", "due_at");

-- A continuous-mode tick starts scans of its own; priorities are the policy's four.
ALTER TABLE "scans" DROP CONSTRAINT "scans_trigger_check";
ALTER TABLE "scans" ADD CONSTRAINT "scans_trigger_check" CHECK ("trigger" IN ('schedule', 'catch-up', 'manual', 'continuous'));
ALTER TABLE "tracked_customers" ADD CONSTRAINT "tracked_customers_due_priority_check" CHECK ("due_priority" BETWEEN 0 AND 3);
