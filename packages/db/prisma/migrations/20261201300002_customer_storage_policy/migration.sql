-- Every customer names its storage policy (existing customers get `default`, seeded by the previous migration).

-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "storagePolicy" VARCHAR(60) NOT NULL DEFAULT 'default';

-- AddForeignKey
ALTER TABLE "customers" ADD CONSTRAINT "customers_storagePolicy_fkey" FOREIGN KEY ("storagePolicy") REFERENCES "storage_policies"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
