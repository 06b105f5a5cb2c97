-- Custom headers (SPEC.md section 3.3 "Custom headers", section 5): HTTP headers a customer adds to the image
-- responses of its assets, customer-wide or for one space, one role, or both.
-- CreateTable
CREATE TABLE "custom_headers" (
    "id" UUID NOT NULL,
    "customerId" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "space" INTEGER,
    "role" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "custom_headers_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "custom_headers_customerId_space_idx" ON "custom_headers"("customerId", "space");


-- One rule per header name (case-insensitive) and scope. Prisma's schema language cannot express an index on
-- expressions, so it lives only here (the schema names it in a comment).
CREATE UNIQUE INDEX "custom_headers_rule_key" ON "custom_headers" ("customerId", lower("key"), COALESCE("space", 0), COALESCE("role", ''));
