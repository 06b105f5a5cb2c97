-- SPEC.md §3.3 "Customers": displayName is required and unique (409 on a duplicate).
-- Customers created before this migration may share a displayName (it defaulted to the name, and was free text):
-- every customer but the oldest of a shared displayName gets " (<id>)" appended, so the unique index can be built.
UPDATE "customers" AS c
SET "displayName" = c."displayName" || ' (' || c."id" || ')'
WHERE EXISTS (
  SELECT 1 FROM "customers" AS d WHERE d."displayName" = c."displayName" AND d."id" < c."id"
);

-- CreateIndex
CREATE UNIQUE INDEX "customers_displayName_key" ON "customers"("displayName");
