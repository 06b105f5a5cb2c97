-- Active (finished null) and recent (latest finished first) batch lists, and queue summaries, per customer.
CREATE INDEX "batches_customerId_finished_idx" ON "batches"("customerId", "finished");
