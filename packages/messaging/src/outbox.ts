import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import type { Envelope } from '@vellum/contracts';
import { PRISMA, Prisma, PrismaClient } from '@vellum/db';
import { AmqpConnectionManager } from './connection-manager';
import { buildEnvelope, PublishOptions } from './envelope-builder';
import { errorMessage } from './errors';
import { MessagePublisher } from './publisher';

/** Options of {@link outboxRow}. */
export interface OutboxRowOptions extends PublishOptions {
  /** The producing service name (envelope `producer`), e.g. `api-gateway`. */
  producer: string;
}

/**
 * The `outbox_messages` row for one message (SPEC.md §2 "Outbox"): validates the payload (as
 * `MessagePublisher.publish` does), builds the envelope and returns the create input. Use it inside the
 * transaction that makes the change the message announces, then `outboxRelay.kick()` after commit:
 *
 * ```ts
 * await prisma.$transaction(async (tx) => {
 *   await tx.asset.update(...);
 *   await tx.outboxMessage.create({ data: outboxRow(msg, { producer: 'api-gateway', priority: PRIORITY_LANE }) });
 * });
 * outboxRelay.kick();
 * ```
 * @throws TypeError (unregistered class), InvalidMessageError (invalid payload), RangeError (priority not 0..10).
 */
export function outboxRow(message: object, opts: OutboxRowOptions): Prisma.OutboxMessageCreateInput {
  const { envelope, priority } = buildEnvelope(message, opts);
  return {
    id: envelope.id,
    routingKey: envelope.type,
    envelope: envelope as unknown as Prisma.InputJsonValue,
    priority,
  };
}

/**
 * Inserts outbox rows (from {@link outboxRow}) inside the caller's transaction with one raw statement, for hot
 * paths: the same rows as `tx.outboxMessage.create`, without Prisma's query compiler (≈1 ms of CPU per call).
 */
export async function insertOutboxRows(
  tx: Prisma.TransactionClient,
  rows: readonly Prisma.OutboxMessageCreateInput[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO "outbox_messages" ("id", "routingKey", "envelope", "priority")
    SELECT * FROM unnest(
      ${rows.map((r) => r.id)}::uuid[],
      ${rows.map((r) => r.routingKey)}::text[],
      ${rows.map((r) => JSON.stringify(r.envelope))}::jsonb[],
      ${rows.map((r) => r.priority ?? 0)}::int[])`;
}

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** Poll interval in ms. Default 250. */
  pollIntervalMs?: number;
  /** Rows taken per transaction. Default 100. */
  batchSize?: number;
}

/** Nest token for {@link OutboxRelayOptions} (optional). */
export const OUTBOX_OPTIONS = Symbol('VELLUM_OUTBOX_OPTIONS');

interface OutboxRowRaw {
  id: string;
  envelope: unknown;
  priority: number;
}

/**
 * Publishes committed `outbox_messages` rows (SPEC.md §2 "Outbox"). Every `pollIntervalMs` (250) and on
 * {@link kick}, it takes unsent rows in creation order, `batchSize` (100) at a time, with
 * `SELECT ... FOR UPDATE SKIP LOCKED` inside a transaction, publishes each with publisher confirms and sets
 * `sentAt` (+ `attempts`) before committing. Several relays (replicas) therefore never publish the same row twice
 * concurrently; a crash between the confirm and the commit republishes the row later (at-least-once, consumers are
 * idempotent). While the broker is down no rows are taken; rows stay unsent and go out when it returns.
 *
 * Needs a PrismaClient under the `PRISMA` token (from @vellum/db, re-exported here) and `MessagingModule`.
 * Starts on application bootstrap, stops on module destroy.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  private failing = false;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly publisher: MessagePublisher,
    private readonly connection: AmqpConnectionManager,
    @Optional() @Inject(OUTBOX_OPTIONS) options?: OutboxRelayOptions,
  ) {
    this.pollIntervalMs = options?.pollIntervalMs ?? 250;
    this.batchSize = options?.batchSize ?? 100;
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Starts polling (idempotent). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops polling and waits for the running pass to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Asks for a pass now (call after committing outbox rows). Never throws; passes never overlap. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  /**
   * Publishes unsent rows until none are left or a publish fails. Resolves with the number of rows marked sent.
   * Usable without `start()` (tests, scripts). @throws what Prisma throws (e.g. database unreachable).
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      if (!this.connection.isConnected) return total;
      const { sent, complete } = await this.relayBatch();
      total += sent;
      if (!complete) return total;
    }
  }

  private async pass(): Promise<void> {
    if (!this.connection.isConnected) {
      if (!this.failing)
        this.logger.warn('Outbox relay paused: RabbitMQ is not connected; unsent rows wait in the outbox');
      this.failing = true;
      return;
    }
    try {
      await this.drain();
    } catch (err) {
      if (!this.failing) this.logger.warn(`Outbox relay pass failed: ${errorMessage(err)} (will retry)`);
      this.failing = true;
      return;
    }
    if (this.failing && this.connection.isConnected) {
      this.failing = false;
      this.logger.log('Outbox relay recovered');
    }
  }

  /** One transaction: lock up to batchSize unsent rows, publish, mark. `complete` = a full batch went out. */
  private async relayBatch(): Promise<{ sent: number; complete: boolean }> {
    return this.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRowRaw[]>`
          SELECT id::text AS id, envelope, priority
          FROM outbox_messages
          WHERE "sentAt" IS NULL
          ORDER BY created, id
          LIMIT ${this.batchSize}
          FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return { sent: 0, complete: false };
        // One confirm channel keeps publication order; confirms are awaited together.
        const results = await Promise.allSettled(
          rows.map((r) => {
            const envelope = (
              typeof r.envelope === 'string' ? JSON.parse(r.envelope) : r.envelope
            ) as Envelope;
            return this.publisher.publishEnvelope(envelope, Number(r.priority));
          }),
        );
        const sentIds: string[] = [];
        const failed = new Map<string, string[]>();
        results.forEach((res, i) => {
          if (res.status === 'fulfilled') sentIds.push(rows[i].id);
          else {
            const msg = errorMessage(res.reason);
            failed.set(msg, [...(failed.get(msg) ?? []), rows[i].id]);
          }
        });
        if (sentIds.length > 0) {
          // Raw: the relay's hottest statement, without Prisma's query compiler.
          await tx.$executeRaw`
            UPDATE "outbox_messages" SET "sentAt" = ${new Date()}::timestamptz, "attempts" = "attempts" + 1
            WHERE "id" = ANY(${sentIds}::uuid[])`;
        }
        for (const [msg, ids] of failed) {
          await tx.outboxMessage.updateMany({
            where: { id: { in: ids } },
            data: { attempts: { increment: 1 }, lastError: msg.slice(0, 2000) },
          });
          if (!this.failing)
            this.logger.warn(`Outbox: ${ids.length} message(s) not published: ${msg} (will retry)`);
        }
        if (failed.size > 0) this.failing = true;
        return { sent: sentIds.length, complete: failed.size === 0 && rows.length === this.batchSize };
      },
      { maxWait: 10_000, timeout: 120_000 },
    );
  }
}
