-- AlterTable
ALTER TABLE "tracked_customers" ADD COLUMN     "document_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "empty_pending" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "last_failure_reason" VARCHAR(32);

-- AlterTable
ALTER TABLE "document_snapshots" ADD COLUMN     "removed_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "scans" ADD COLUMN     "streak_customers" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "streak_customers_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "failure_reasons" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "lease_until" TIMESTAMPTZ(3),
ADD COLUMN     "running_slot" SMALLINT;

-- Scans still running under the old heartbeat rule cannot hold the new one-running-scan slot
-- (several may be open): they are closed, and the next scan checks every customer again.
UPDATE "scans" SET "lease_until" = "heartbeat_at";
-- The first round's `abandoned` is an interrupted scan in SPEC §3's terms.
UPDATE "scans" SET "status" = 'interrupted', "error" = 'abandoned: ' || coalesce("error", 'no progress') WHERE "status" = 'abandoned';
UPDATE "scans" SET "status" = 'interrupted', "finished_at" = CURRENT_TIMESTAMP, "error" = 'abandoned: closed by the upgrade to scan leases'
WHERE "status" = 'running';
ALTER TABLE "scans" ALTER COLUMN "lease_until" SET NOT NULL, DROP COLUMN "heartbeat_at";

-- CreateIndex
CREATE INDEX "alerts_scan_id_idx" ON "alerts"("scan_id");

-- CreateIndex
CREATE UNIQUE INDEX "scans_running_slot_key" ON "scans"("running_slot");

-- AddForeignKey
ALTER TABLE "document_events" ADD CONSTRAINT "document_events_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "tracked_customers"("customer_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "document_events" ADD CONSTRAINT "document_events_scan_id_fkey" FOREIGN KEY ("scan_id") REFERENCES "scans"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "tracked_customers"("customer_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "document_events"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_scan_id_fkey" FOREIGN KEY ("scan_id") REFERENCES "scans"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Values the code relies on, enforced by the database (Prisma's schema language has no CHECK).
ALTER TABLE "tracked_customers" ADD CONSTRAINT "tracked_customers_last_outcome_check" CHECK ("last_outcome" IN ('ok', 'failed'));
ALTER TABLE "document_events" ADD CONSTRAINT "document_events_kind_check" CHECK ("kind" IN ('appeared', 'status_changed', 'removed'));
ALTER TABLE "scans" ADD CONSTRAINT "scans_trigger_check" CHECK ("trigger" IN ('schedule', 'catch-up', 'manual'));
ALTER TABLE "scans" ADD CONSTRAINT "scans_status_check" CHECK ("status" IN ('running', 'completed', 'failed', 'interrupted'));
ALTER TABLE "scans" ADD CONSTRAINT "scans_running_slot_check" CHECK ("running_slot" = 1 AND "status" = 'running' OR "running_slot" IS NULL AND "status" <> 'running');

-- Counted once for the rows already there, then kept up to date by every snapshot write.
UPDATE "tracked_customers" t SET "document_count" = n.count
FROM (SELECT "customer_id", count(*)::int AS count FROM "document_snapshots" GROUP BY "customer_id") n
WHERE t."customer_id" = n."customer_id";
