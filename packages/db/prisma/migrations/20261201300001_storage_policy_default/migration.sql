-- The seeded `default` storage policy every customer starts with: generous limits (one billion images, one
-- petabyte), as the reference's default. Idempotent.

INSERT INTO "storage_policies" ("id", "maximumNumberOfStoredImages", "maximumTotalSizeOfStoredImages", "created", "modified")
VALUES ('default', 1000000000, 1000000000000000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;
