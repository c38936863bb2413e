-- AlterTable
ALTER TABLE "alerts" ADD COLUMN     "routed_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "alert_deliveries" (
    "alert_id" BIGINT NOT NULL,
    "recipient" VARCHAR(254) NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "sent_at" TIMESTAMPTZ(3),
    "message_id" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_deliveries_pkey" PRIMARY KEY ("alert_id","recipient")
);

-- CreateTable
CREATE TABLE "ops_incidents" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "alert_id" BIGINT,

    CONSTRAINT "ops_incidents_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "alert_deliveries_status_updated_at_idx" ON "alert_deliveries"("status", "updated_at");

-- CreateIndex
CREATE INDEX "ops_incidents_kind_opened_at_idx" ON "ops_incidents"("kind", "opened_at");

-- AddForeignKey
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ops_incidents" ADD CONSTRAINT "ops_incidents_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- At most one open incident per kind (SPEC §5: one operations alert per incident), enforced
-- here rather than by a read before a write. Written by hand: Prisma's schema language has no
-- partial index, and its schema engine leaves indexes it cannot describe alone.
CREATE UNIQUE INDEX "ops_incidents_open_kind_key" ON "ops_incidents"("kind") WHERE "ended_at" IS NULL;
