-- AlterTable
ALTER TABLE "document_snapshots" ADD COLUMN     "warned_days" SMALLINT;

-- Expiry warnings (SPEC §11) are alerts of their own kind: a document, its expiry date, no case.
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_kind_check";
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_kind_check" CHECK ("kind" IN ('document', 'ops', 'reminder', 'escalation', 'summary', 'expiring'));
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_shape_check";
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_shape_check" CHECK (
  "kind" = 'document' AND "customer_id" IS NOT NULL
  OR "kind" = 'ops' AND "subject" IS NOT NULL AND "body" IS NOT NULL
  OR "kind" IN ('reminder', 'escalation') AND "case_id" IS NOT NULL AND "customer_id" IS NOT NULL
  OR "kind" = 'summary' AND "body" IS NOT NULL AND "dedupe_key" IS NOT NULL
  OR "kind" = 'expiring' AND "customer_id" IS NOT NULL AND "expires_on" IS NOT NULL AND "case_id" IS NULL
);
