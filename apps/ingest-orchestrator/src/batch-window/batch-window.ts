import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AssetIngestRequestedV1 } from '@vellum/contracts';
import { batchMembersInFlight, batchWindowUsage, PRISMA, type PrismaClient } from '@vellum/db';
import { errorMessage, ParkMessage, transportsFor, type VellumRmqTransport } from '@vellum/messaging';
import { IngestMetrics } from '../ingest-metrics';
import type { OrchestratorEnv } from '../orchestrator.env';
import { ORCHESTRATOR_ENV, SERVICE_NAME } from '../tokens';

/** How long shutdown waits for a sweep or release in progress, ms. */
const SHUTDOWN_WAIT_MS = 2000;

/** Where parked messages go back: the transport consuming `asset.ingest.requested.v1` in this process. */
export type UnparkTarget = () => Pick<VellumRmqTransport, 'unpark'> | undefined;

/** The token of the {@link UnparkTarget} (tests may give another). */
export const UNPARK_TARGET = Symbol('UNPARK_TARGET');

/** Default {@link UnparkTarget}: the orchestrator's listening transport in this process, if any. */
export const orchestratorTransport: UnparkTarget = () => transportsFor(SERVICE_NAME)[0];

/**
 * The batch window (SPEC.md §4 "neither customer's batch starves", §10): fair sharing of the workers between
 * customers. A customer may have `VELLUM_INGEST_CUSTOMER_WINDOW` batch members in flight (claimed and not yet
 * finished, counted in `batch_members` across every replica); the ingest request of a member beyond that is
 * parked (`ParkMessage`: a durable lot `…asset.ingest.requested.v1.parked.customer-{id}`, no attempt spent), so
 * the queue, and hence the workers' queues, hold at most a window's worth of each customer, interleaved, instead
 * of one customer's whole batch ahead of the next.
 *
 * A parked member comes back (`VellumRmqTransport.unpark`, ahead of fresh batch work) when one of its customer's
 * members finishes ({@link release}, called by the finaliser), and from a sweep every
 * `VELLUM_INGEST_WINDOW_SWEEP_MS` that fills every customer's free room (members closed elsewhere, a release lost
 * in a crash). Immediate registrations and the priority lane are never windowed.
 */
@Injectable()
export class BatchWindow implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(BatchWindow.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;
  private readonly releases = new Set<Promise<void>>();
  /** Per customer: the last claim queued in {@link serialised}. */
  private readonly claims = new Map<number, Promise<void>>();

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(ORCHESTRATOR_ENV) private readonly env: OrchestratorEnv,
    @Inject(UNPARK_TARGET) private readonly target: UnparkTarget,
    private readonly metrics: IngestMetrics,
  ) {}

  /** Members one customer may have in flight; 0 = no window. */
  get size(): number {
    return this.env.VELLUM_INGEST_CUSTOMER_WINDOW;
  }

  /** The parking lot of a customer's batch members: `customer-{id}`. */
  static lotOf(customerId: number): string {
    return `customer-${customerId}`;
  }

  /** True when `msg` is windowed: a batch member on the batch lane, with a window configured. */
  applies(msg: Pick<AssetIngestRequestedV1, 'batchId' | 'priority'>): boolean {
    return this.size > 0 && msg.batchId !== undefined && !msg.priority;
  }

  /**
   * The cheap check before any other work: true when the customer already has a full window (then the caller
   * parks the request at once). The claim itself checks again, exactly (`claimBatchMember` with `window`).
   */
  async isFull(customerId: number): Promise<boolean> {
    return (await batchMembersInFlight(this.prisma, customerId, this.size)) >= this.size;
  }

  /**
   * Runs `claim` after every earlier claim of the same customer in this replica has settled, so that each sees
   * the members the previous ones started (claims are separate statements: run at once, several could each see
   * room and overshoot the window). Across replicas the window stays a bound, not a quota.
   */
  async serialised<T>(customerId: number, claim: () => Promise<T>): Promise<T> {
    const previous = this.claims.get(customerId) ?? Promise.resolve();
    const run = previous.then(claim, claim);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.claims.set(customerId, settled);
    try {
      return await run;
    } finally {
      if (this.claims.get(customerId) === settled) this.claims.delete(customerId);
    }
  }

  /** The error a handler throws to park `msg` in its customer's lot (counted as `parked`). */
  park(msg: Pick<AssetIngestRequestedV1, 'customerId' | 'batchId'>): ParkMessage {
    this.metrics.outcome('parked');
    return new ParkMessage(
      BatchWindow.lotOf(msg.customerId),
      `customer ${msg.customerId} has ${this.size} batch members in flight (VELLUM_INGEST_CUSTOMER_WINDOW): parked`,
    );
  }

  /**
   * A member of the customer finished (or a request of it was skipped): moves `count` of its parked members back
   * to the queue, in the background (errors are logged; the sweep makes up for a lost release).
   */
  release(customerId: number, count = 1): void {
    if (this.size <= 0) return;
    const p = this.unpark(customerId, count)
      .then(() => undefined)
      .catch((err: unknown) =>
        this.log.warn({ customerId, error: errorMessage(err), msg: 'could not move parked members back' }),
      )
      .finally(() => this.releases.delete(p));
    this.releases.add(p);
  }

  /**
   * One sweep: for every customer with an unfinished batch and room in its window, moves that many parked members
   * back. Returns how many it moved.
   * @throws database or broker errors (logged by the timer; the next sweep retries).
   */
  async sweep(): Promise<number> {
    if (this.size <= 0 || !this.target()) return 0;
    let moved = 0;
    for (const { customerId, inFlight } of await batchWindowUsage(this.prisma, this.size)) {
      const room = this.size - inFlight;
      if (room > 0) moved += await this.unpark(customerId, room);
    }
    if (moved > 0) this.log.log({ moved, msg: 'window sweep: parked batch members moved back' });
    return moved;
  }

  private async unpark(customerId: number, count: number): Promise<number> {
    const transport = this.target();
    if (!transport) return 0;
    const moved = await transport.unpark(
      AssetIngestRequestedV1.routingKey,
      BatchWindow.lotOf(customerId),
      count,
    );
    for (let i = 0; i < moved; i++) this.metrics.outcome('unparked');
    return moved;
  }

  onApplicationBootstrap(): void {
    const every = this.env.VELLUM_INGEST_WINDOW_SWEEP_MS;
    if (every <= 0 || this.size <= 0) return;
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((err: unknown) => {
          this.log.warn({ error: errorMessage(err), msg: 'window sweep failed (will try again)' });
          return 0;
        })
        .finally(() => (this.sweeping = undefined));
    }, every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Bounded: a release stuck on a broker that is going away must not hold up the shutdown.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_WAIT_MS);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([this.sweeping, ...this.releases]), bound]);
    if (timer) clearTimeout(timer);
  }
}
