-- CreateEnum
CREATE TYPE "ProjectionKind" AS ENUM ('pdf', 'zip');

-- CreateEnum
CREATE TYPE "ProjectionStatus" AS ENUM ('in_process', 'done', 'failed');

-- CreateTable
CREATE TABLE "named_query_projections" (
    "id" UUID NOT NULL,
    "customerId" INTEGER NOT NULL,
    "queryName" VARCHAR(100) NOT NULL,
    "kind" "ProjectionKind" NOT NULL,
    "args" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "argsKey" TEXT NOT NULL,
    "status" "ProjectionStatus" NOT NULL DEFAULT 'in_process',
    "build" INTEGER NOT NULL DEFAULT 1,
    "requested" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created" TIMESTAMPTZ(3),
    "itemCount" INTEGER,
    "sizeBytes" BIGINT,
    "roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "objectBucket" TEXT,
    "objectKey" TEXT,
    "error" TEXT,
    "fingerprint" TEXT,
    "requestedFingerprint" TEXT,
    "updated" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "named_query_projections_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "named_query_projections_customerId_queryName_kind_argsKey_key" ON "named_query_projections"("customerId", "queryName", "kind", "argsKey");

-- AddForeignKey
ALTER TABLE "named_query_projections" ADD CONSTRAINT "named_query_projections_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

