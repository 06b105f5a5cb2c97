-- Named queries (SPEC.md section 7): the tag condition is "the asset's tags contain the value" (tags @> ARRAY[v]),
-- which a GIN index on tags answers without reading every asset of the customer.
-- CreateIndex
CREATE INDEX "assets_tags_idx" ON "assets" USING GIN ("tags");
