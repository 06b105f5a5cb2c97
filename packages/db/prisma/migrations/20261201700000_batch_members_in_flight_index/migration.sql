-- The orchestrator's per-customer batch window (fair share between customers): it counts a customer's members that
-- have started and not yet finished before admitting another. Partial, so it holds only members in flight (a few
-- per customer), however many are waiting. Prisma's schema language cannot express a partial index.
CREATE INDEX IF NOT EXISTS "batch_members_customerId_in_flight_idx" ON "batch_members" ("customerId") WHERE "outcome" = 'pending' AND "started" IS NOT NULL
