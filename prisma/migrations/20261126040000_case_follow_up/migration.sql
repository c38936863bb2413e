-- AlterTable
ALTER TABLE "cases" ADD COLUMN     "escalated_at" TIMESTAMPTZ(3),
ADD COLUMN     "last_emailed_at" TIMESTAMPTZ(3),
ADD COLUMN     "reminded_at" TIMESTAMPTZ(3);

-- Reminders and escalations (SPEC §10) go through the outbox, one row per case; one that lost
-- its reason before it went out (the case acknowledged, resolved, silenced) is cancelled.
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_kind_check";
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_kind_check" CHECK ("kind" IN ('document', 'ops', 'reminder', 'escalation'));
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_status_check";
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_status_check" CHECK ("status" IN ('pending', 'sent', 'failed', 'cancelled'));
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_shape_check";
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_shape_check" CHECK (
  "kind" = 'document' AND "customer_id" IS NOT NULL
  OR "kind" = 'ops' AND "subject" IS NOT NULL AND "body" IS NOT NULL
  OR "kind" IN ('reminder', 'escalation') AND "case_id" IS NOT NULL AND "customer_id" IS NOT NULL
);
-- The follow-up looks for open cases only.
CREATE INDEX "cases_open_follow_up_idx" ON "cases" ("opened_at") WHERE "state" = 'open';
