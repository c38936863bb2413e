-- Values the outbox relies on, enforced by the database (Prisma's schema language has no CHECK).
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_kind_check" CHECK ("kind" IN ('document', 'ops'));
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_status_check" CHECK ("status" IN ('pending', 'sent', 'failed'));
-- A document alert names its customer, an operations alert says what happened.
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_shape_check" CHECK (
  "kind" = 'document' AND "customer_id" IS NOT NULL
  OR "kind" = 'ops' AND "subject" IS NOT NULL AND "body" IS NOT NULL
);
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_status_check" CHECK ("status" IN ('pending', 'sent', 'failed'));
