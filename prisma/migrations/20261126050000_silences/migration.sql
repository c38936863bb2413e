-- AlterTable
ALTER TABLE "alerts" ADD COLUMN     "silence_id" BIGINT;

-- CreateTable
CREATE TABLE "silences" (
    "id" BIGSERIAL NOT NULL,
    "customer_id" VARCHAR(128) NOT NULL,
    "purpose" TEXT,
    "document_type" TEXT,
    "document_name" TEXT,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "created_by" VARCHAR(200) NOT NULL,
    "reason" TEXT NOT NULL,
    "removed_at" TIMESTAMPTZ(3),
    "removed_by" VARCHAR(200),

    CONSTRAINT "silences_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "silences_customer_id_idx" ON "silences"("customer_id");

-- CreateIndex
CREATE INDEX "silences_ends_at_idx" ON "silences"("ends_at");

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_silence_id_fkey" FOREIGN KEY ("silence_id") REFERENCES "silences"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "silences" ADD CONSTRAINT "silences_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "tracked_customers"("customer_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A silence ends after it starts; removed with who removed it.
ALTER TABLE "silences" ADD CONSTRAINT "silences_period_check" CHECK ("ends_at" > "starts_at");
ALTER TABLE "silences" ADD CONSTRAINT "silences_removed_check" CHECK (("removed_at" IS NULL) = ("removed_by" IS NULL));
