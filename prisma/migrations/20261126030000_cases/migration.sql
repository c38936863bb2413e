-- AlterTable
ALTER TABLE "alerts" ADD COLUMN     "case_id" BIGINT;

-- CreateTable
CREATE TABLE "cases" (
    "id" BIGSERIAL NOT NULL,
    "customer_id" VARCHAR(128) NOT NULL,
    "purpose" TEXT NOT NULL,
    "document_type" TEXT NOT NULL,
    "document_name" TEXT NOT NULL,
    "document_status" TEXT NOT NULL,
    "state" VARCHAR(16) NOT NULL DEFAULT 'open',
    "opened_at" TIMESTAMPTZ(3) NOT NULL,
    "last_alert_at" TIMESTAMPTZ(3) NOT NULL,
    "acknowledged_at" TIMESTAMPTZ(3),
    "acknowledged_by" VARCHAR(200),
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_by" VARCHAR(200),
    "resolution" VARCHAR(16),

    CONSTRAINT "cases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "case_events" (
    "id" BIGSERIAL NOT NULL,
    "case_id" BIGINT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "actor" VARCHAR(200) NOT NULL,
    "alert_id" BIGINT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "case_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "cases_state_opened_at_idx" ON "cases"("state", "opened_at");

-- CreateIndex
CREATE INDEX "cases_customer_id_opened_at_idx" ON "cases"("customer_id", "opened_at");

-- CreateIndex
CREATE INDEX "case_events_case_id_id_idx" ON "case_events"("case_id", "id");

-- CreateIndex
CREATE INDEX "case_events_at_idx" ON "case_events"("at");

-- CreateIndex
CREATE INDEX "alerts_case_id_idx" ON "alerts"("case_id");

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cases" ADD CONSTRAINT "cases_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "tracked_customers"("customer_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Cases (SPEC §10): what Prisma's schema language cannot say.
ALTER TABLE "cases" ADD CONSTRAINT "cases_state_check" CHECK ("state" IN ('open', 'acknowledged', 'resolved'));
ALTER TABLE "cases" ADD CONSTRAINT "cases_resolution_check" CHECK ("resolution" IN ('recovered', 'removed', 'untracked', 'manual'));
-- Resolved exactly when it has a resolution, a time and an actor; acknowledged with who and when.
ALTER TABLE "cases" ADD CONSTRAINT "cases_resolved_check" CHECK (
  ("state" = 'resolved') = ("resolution" IS NOT NULL) AND ("resolution" IS NULL) = ("resolved_at" IS NULL) AND ("resolution" IS NULL) = ("resolved_by" IS NULL)
);
ALTER TABLE "cases" ADD CONSTRAINT "cases_acknowledged_check" CHECK (
  ("acknowledged_at" IS NULL) = ("acknowledged_by" IS NULL) AND ("state" <> 'acknowledged' OR "acknowledged_at" IS NOT NULL)
);
-- At most one unresolved case per customer and document identity: an alert joins it, or opens one.
CREATE UNIQUE INDEX "cases_unresolved_identity_key" ON "cases" ("customer_id", "purpose", "document_type", "document_name") WHERE "state" <> 'resolved';
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_kind_check" CHECK (
  "kind" IN ('opened', 'alert', 'email', 'reminder', 'escalation', 'acknowledged', 'note', 'silenced', 'unsilenced', 'resolved')
);

-- The timeline is evidence: no entry is ever changed or removed.
CREATE FUNCTION "case_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER "case_events_append_only" BEFORE UPDATE OR DELETE ON "case_events" FOR EACH STATEMENT EXECUTE FUNCTION "case_events_append_only"();
CREATE TRIGGER "case_events_no_truncate" BEFORE TRUNCATE ON "case_events" FOR EACH STATEMENT EXECUTE FUNCTION "case_events_append_only"();
