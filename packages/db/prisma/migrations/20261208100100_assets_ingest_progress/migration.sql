-- AlterTable
ALTER TABLE "assets" ADD COLUMN     "ingestProgress" JSONB;

