-- Storage policies (SPEC.md section 8): the quotas customers are held to.

-- CreateTable
CREATE TABLE "storage_policies" (
    "id" VARCHAR(60) NOT NULL,
    "maximumNumberOfStoredImages" BIGINT NOT NULL,
    "maximumTotalSizeOfStoredImages" BIGINT NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "storage_policies_pkey" PRIMARY KEY ("id")
);

-- AlterTable: when a delta last moved the totals
ALTER TABLE "storage_usage" ADD COLUMN     "lastCalculated" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
