import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AvTranscodeProgressV1 } from '@vellum/contracts';
import { PRISMA, queryPrepared, type PrismaClient } from '@vellum/db';
import type { VellumRmqContext } from '@vellum/messaging';

/** Progress reports are one small UPDATE each. */
const PROGRESS_PREFETCH = 32;

/**
 * Stores the report on the asset while its attempt is ingesting: not for another attempt, not once finalised, and
 * never over a later report of the same attempt (`at`, ISO 8601, orders them). `updated` is left alone, so the
 * stuck-ingest sweeper still sees the attempt's age.
 */
const STORE_PROGRESS_SQL = `UPDATE "assets" SET "ingestProgress" = $5::jsonb
  WHERE "customerId" = $1 AND "spaceId" = $2 AND "id" = $3 AND "ingestAttempt" = $4 AND "ingesting"
    AND ("ingestProgress" IS NULL
      OR ("ingestProgress"->>'attempt') IS DISTINCT FROM $4::text
      OR ("ingestProgress"->>'at') <= $6::text)
  RETURNING 1 AS "one"`;

/** The `ingestProgress` JSON the orchestrator stores and the gateway's metadata shows (SPEC.md §4.4). */
export interface StoredIngestProgress {
  attempt: number;
  preset: string;
  presetIndex: number;
  presetCount: number;
  /** 0..1 of `preset`. */
  fraction: number;
  /** × real time. */
  speed?: number;
  /** ISO 8601, when the transcoder read it. */
  at: string;
}

/**
 * Consumes `av.transcode.progress.v1` (SPEC.md §4.4 "long transcodes report progress ... visible on the asset's
 * metadata"): the latest report of the asset's current, still-ingesting attempt is stored as `assets.ingestProgress`
 * (a report for a stale attempt or a finalised asset changes nothing). Nothing else reads it.
 */
@Controller()
export class TranscodeProgressHandler {
  private readonly log = new Logger(TranscodeProgressHandler.name);

  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  @EventPattern(AvTranscodeProgressV1.routingKey, { prefetch: PROGRESS_PREFETCH })
  async onProgress(@Payload() msg: AvTranscodeProgressV1, @Ctx() _ctx: VellumRmqContext): Promise<void> {
    const progress: StoredIngestProgress = {
      attempt: msg.attempt,
      preset: msg.preset,
      presetIndex: msg.presetIndex,
      presetCount: msg.presetCount,
      fraction: msg.fraction,
      ...(msg.speed !== undefined ? { speed: msg.speed } : {}),
      at: msg.at,
    };
    const rows = await queryPrepared<{ one: number }>(
      this.prisma,
      'ingest-store-progress',
      STORE_PROGRESS_SQL,
      [msg.customerId, msg.spaceId, msg.assetId, msg.attempt, JSON.stringify(progress), msg.at],
    );
    if (rows.length === 0)
      this.log.debug({
        customerId: msg.customerId,
        spaceId: msg.spaceId,
        assetId: msg.assetId,
        attempt: msg.attempt,
        msg: 'av.transcode.progress for a stale or finalised attempt (or an older report): ignored',
      });
  }
}
