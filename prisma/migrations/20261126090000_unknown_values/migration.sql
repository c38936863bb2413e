-- CreateTable
CREATE TABLE "unknown_values" (
    "field" VARCHAR(32) NOT NULL,
    "value" VARCHAR(200) NOT NULL,
    "customer_id" VARCHAR(128) NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "unknown_values_pkey" PRIMARY KEY ("field","value")
);
ALTER TABLE "unknown_values" ADD CONSTRAINT "unknown_values_field_check" CHECK ("field" IN ('status', 'purpose', 'documentType'));
