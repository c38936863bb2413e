-- AlterTable
ALTER TABLE "document_snapshots" ADD COLUMN     "expires_on" DATE;

-- AlterTable
ALTER TABLE "document_events" ADD COLUMN     "expires_on" DATE;

-- AlterTable
ALTER TABLE "alerts" ADD COLUMN     "expires_on" DATE;

-- AlterTable
ALTER TABLE "cases" ADD COLUMN     "expires_on" DATE;
