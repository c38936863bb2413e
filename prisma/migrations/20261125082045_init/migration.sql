-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "tracked_customers" (
    "customer_id" VARCHAR(128) NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "baseline_at" TIMESTAMPTZ(3),
    "snapshot_version" INTEGER NOT NULL DEFAULT 0,
    "last_checked_at" TIMESTAMPTZ(3),
    "last_outcome" VARCHAR(16),
    "last_error" TEXT,
    "last_scan_id" UUID,
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "tracked_customers_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "document_snapshots" (
    "id" BIGSERIAL NOT NULL,
    "customer_id" VARCHAR(128) NOT NULL,
    "position" INTEGER NOT NULL,
    "purpose" TEXT NOT NULL,
    "document_type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "location_key" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "verification_response" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "document_snapshots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "document_events" (
    "id" BIGSERIAL NOT NULL,
    "customer_id" VARCHAR(128) NOT NULL,
    "scan_id" UUID,
    "kind" VARCHAR(16) NOT NULL,
    "purpose" TEXT NOT NULL,
    "document_type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "location_key" TEXT NOT NULL,
    "previous_status" TEXT,
    "new_status" TEXT,
    "verification_response" TEXT,
    "baseline" BOOLEAN NOT NULL DEFAULT false,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "document_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alerts" (
    "id" BIGSERIAL NOT NULL,
    "kind" VARCHAR(16) NOT NULL DEFAULT 'document',
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "customer_id" VARCHAR(128),
    "event_id" BIGINT,
    "scan_id" UUID,
    "purpose" TEXT,
    "document_type" TEXT,
    "document_name" TEXT,
    "previous_status" TEXT,
    "new_status" TEXT,
    "verification_response" TEXT,
    "subject" TEXT,
    "body" TEXT,
    "dedupe_key" TEXT,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claim_token" UUID,
    "claimed_until" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "sent_at" TIMESTAMPTZ(3),
    "message_id" TEXT,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scans" (
    "id" UUID NOT NULL,
    "trigger" VARCHAR(16) NOT NULL,
    "trigger_key" TEXT,
    "status" VARCHAR(16) NOT NULL DEFAULT 'running',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cursor" VARCHAR(128),
    "enumerated" BOOLEAN NOT NULL DEFAULT false,
    "batches_total" INTEGER NOT NULL DEFAULT 0,
    "batches_done" INTEGER NOT NULL DEFAULT 0,
    "customers" INTEGER NOT NULL DEFAULT 0,
    "checked" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "changes" INTEGER NOT NULL DEFAULT 0,
    "alerts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "scans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scan_batches" (
    "scan_id" UUID NOT NULL,
    "batch_no" INTEGER NOT NULL,
    "done_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scan_batches_pkey" PRIMARY KEY ("scan_id","batch_no")
);

-- CreateIndex
CREATE INDEX "tracked_customers_active_customer_id_idx" ON "tracked_customers"("active", "customer_id");

-- CreateIndex
CREATE INDEX "tracked_customers_last_scan_id_last_outcome_idx" ON "tracked_customers"("last_scan_id", "last_outcome");

-- CreateIndex
CREATE INDEX "document_snapshots_customer_id_position_idx" ON "document_snapshots"("customer_id", "position");

-- CreateIndex
CREATE INDEX "document_events_customer_id_id_idx" ON "document_events"("customer_id", "id");

-- CreateIndex
CREATE INDEX "document_events_scan_id_idx" ON "document_events"("scan_id");

-- CreateIndex
CREATE UNIQUE INDEX "alerts_event_id_key" ON "alerts"("event_id");

-- CreateIndex
CREATE UNIQUE INDEX "alerts_dedupe_key_key" ON "alerts"("dedupe_key");

-- CreateIndex
CREATE INDEX "alerts_status_next_attempt_at_idx" ON "alerts"("status", "next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "scans_trigger_key_key" ON "scans"("trigger_key");

-- CreateIndex
CREATE INDEX "scans_started_at_idx" ON "scans"("started_at");

-- AddForeignKey
ALTER TABLE "document_snapshots" ADD CONSTRAINT "document_snapshots_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "tracked_customers"("customer_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scan_batches" ADD CONSTRAINT "scan_batches_scan_id_fkey" FOREIGN KEY ("scan_id") REFERENCES "scans"("id") ON DELETE CASCADE ON UPDATE CASCADE;
