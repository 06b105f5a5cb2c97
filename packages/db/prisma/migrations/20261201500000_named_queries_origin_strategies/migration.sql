-- AlterTable
ALTER TABLE "origin_strategies" ADD COLUMN     "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "named_queries" (
    "id" UUID NOT NULL,
    "customerId" INTEGER NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "template" TEXT NOT NULL,
    "global" BOOLEAN NOT NULL DEFAULT false,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "named_queries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "named_queries_global_idx" ON "named_queries"("global");

-- CreateIndex
CREATE UNIQUE INDEX "named_queries_customerId_name_key" ON "named_queries"("customerId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "origin_strategies_customerId_regex_key" ON "origin_strategies"("customerId", "regex");

-- AddForeignKey
ALTER TABLE "origin_strategies" ADD CONSTRAINT "origin_strategies_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "named_queries" ADD CONSTRAINT "named_queries_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

