-- Partial index for the orchestrator's stuck-ingest sweeper: it looks only at assets still ingesting,
-- ordered by when their ingest was requested. Prisma's schema language cannot express a partial index.
CREATE INDEX IF NOT EXISTS "assets_ingesting_updated_idx" ON "assets" ("updated") WHERE "ingesting"
