-- The summary email (SPEC §12) goes through the outbox like every email: kind `summary`, its
-- figures (JSON) in `body`, one per schedule tick (its `dedupe_key`).
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_kind_check";
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_kind_check" CHECK ("kind" IN ('document', 'ops', 'reminder', 'escalation', 'summary'));
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_shape_check";
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_shape_check" CHECK (
  "kind" = 'document' AND "customer_id" IS NOT NULL
  OR "kind" = 'ops' AND "subject" IS NOT NULL AND "body" IS NOT NULL
  OR "kind" IN ('reminder', 'escalation') AND "case_id" IS NOT NULL AND "customer_id" IS NOT NULL
  OR "kind" = 'summary' AND "body" IS NOT NULL AND "dedupe_key" IS NOT NULL
);
