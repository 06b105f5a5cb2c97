-- Batch cancellation (POST C/queue/batches/{b}/cancel): a member outcome "cancelled", a per-batch counter of
-- cancelled members and the time the orchestrator started (claimed) a member, so a cancel takes only members
-- not yet started. ALTER TYPE ... ADD VALUE runs outside a transaction here (the JS engine runs each statement
-- on its own), which Postgres requires before the new value is used.
-- AlterEnum
ALTER TYPE "BatchMemberOutcome" ADD VALUE 'cancelled';

-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "cancelled" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "batch_members" ADD COLUMN     "started" TIMESTAMPTZ(3);

