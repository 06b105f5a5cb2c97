import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { HEADERS, queueNames } from './options';

/** One dead letter as {@link listDeadLetters} reports it. */
export interface DeadLetterSummary {
  /** The message type (`x-vellum-routing-key`). */
  routingKey: string;
  /** `invalid` | `permanent` | `exhausted` | `timeout` | `crashed` (`x-vellum-dead-letter-reason`). */
  reason: string;
  /** The queue it was consumed from, where a replay sends it (`x-vellum-queue`). */
  queue: string;
  /** Its last error (`x-vellum-error`). */
  error: string;
  messageId?: string;
}

/** Which dead letters {@link replayDeadLetters} moves or {@link discardDeadLetters} removes. */
export interface DeadLetterFilter {
  /** Only messages of this type. */
  routingKey?: string;
  /** Only messages dead-lettered for this reason. */
  reason?: string;
  /** At most this many (default: all). */
  limit?: number;
}

/** What {@link discardDeadLetters} did. */
export interface DiscardResult {
  /** Messages removed from the dead-letter queue for good. */
  discarded: number;
  /** Messages left in the dead-letter queue (filtered out). */
  kept: number;
}

/** What {@link replayDeadLetters} did. */
export interface ReplayResult {
  /** Messages published back to their queue (and removed from the dead-letter queue). */
  replayed: number;
  /** Messages left in the dead-letter queue (filtered out, or without a known queue). */
  kept: number;
}

function header(msg: GetMessage, name: string): string {
  const v: unknown = msg.properties.headers?.[name];
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function summary(msg: GetMessage): DeadLetterSummary {
  return {
    routingKey: header(msg, HEADERS.routingKey),
    reason: header(msg, HEADERS.reason),
    queue: header(msg, HEADERS.queue),
    error: header(msg, HEADERS.error),
    messageId: typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined,
  };
}

function matches(s: DeadLetterSummary, f: DeadLetterFilter): boolean {
  return (!f.routingKey || s.routingKey === f.routingKey) && (!f.reason || s.reason === f.reason);
}

/**
 * Reads every message of `${service}.dead-letter` once (each is taken with `basic.get` and then requeued, so
 * the queue is unchanged afterwards) and returns their summaries in queue order. Consumers of the queue, if any,
 * would see them redelivered; Vellum has none.
 */
export async function listDeadLetters(conn: ChannelModel, service: string): Promise<DeadLetterSummary[]> {
  const ch = await conn.createChannel();
  try {
    const queue = queueNames.deadLetter(service);
    const { messageCount } = await ch.checkQueue(queue);
    const out: DeadLetterSummary[] = [];
    const held: GetMessage[] = [];
    for (let i = 0; i < messageCount; i++) {
      const msg = await ch.get(queue, { noAck: false });
      if (!msg) break;
      held.push(msg);
      out.push(summary(msg));
    }
    for (const m of held) ch.nack(m, false, true);
    return out;
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/**
 * Replays dead letters of `service` (SPEC.md §4.1 step 5, §10 "Reliability"): each message matching `filter` is
 * published back to the queue it was consumed from (through the default exchange, so only that service sees it),
 * with its attempt and redelivery counters reset and the dead-letter headers removed, then removed from the
 * dead-letter queue; publication is confirmed before the removal, so nothing is lost (a crash in between
 * replays a message twice, which consumers tolerate: they are idempotent). Messages that do not match, or
 * whose queue is unknown or gone, stay where they are.
 *
 * @param conn an amqplib connection to the broker (vhost) of the service.
 * @param service the service name, e.g. `ingest-orchestrator`.
 */
export async function replayDeadLetters(
  conn: ChannelModel,
  service: string,
  filter: DeadLetterFilter = {},
): Promise<ReplayResult> {
  const queue = queueNames.deadLetter(service);
  const ch = await conn.createConfirmChannel();
  const existing = new Map<string, boolean>();
  const exists = async (q: string): Promise<boolean> => {
    if (!existing.has(q)) {
      // checkQueue on a missing queue closes the channel, so probe on a throwaway one.
      const probe: Channel = await conn.createChannel();
      probe.on('error', () => undefined);
      existing.set(
        q,
        await probe.checkQueue(q).then(
          () => true,
          () => false,
        ),
      );
      await probe.close().catch(() => undefined);
    }
    return existing.get(q) ?? false;
  };
  const result: ReplayResult = { replayed: 0, kept: 0 };
  const keep: GetMessage[] = [];
  try {
    const { messageCount } = await ch.checkQueue(queue);
    for (let i = 0; i < messageCount; i++) {
      const msg = await ch.get(queue, { noAck: false });
      if (!msg) break;
      const s = summary(msg);
      const wanted = matches(s, filter) && (filter.limit === undefined || result.replayed < filter.limit);
      if (!wanted || !s.queue || !(await exists(s.queue))) {
        keep.push(msg);
        continue;
      }
      const headers: Record<string, unknown> = { ...(msg.properties.headers ?? {}) };
      for (const h of [
        HEADERS.error,
        HEADERS.routingKey,
        HEADERS.queue,
        HEADERS.reason,
        HEADERS.attempt,
        HEADERS.redeliveries,
      ])
        delete headers[h];
      const p = msg.properties;
      ch.publish('', s.queue, msg.content, {
        persistent: true,
        priority: typeof p.priority === 'number' ? p.priority : undefined,
        contentType: p.contentType,
        contentEncoding: p.contentEncoding,
        messageId: p.messageId,
        correlationId: p.correlationId,
        type: p.type,
        appId: p.appId,
        timestamp: p.timestamp,
        headers: { ...headers, [HEADERS.replayed]: new Date().toISOString() },
      });
      await ch.waitForConfirms();
      ch.ack(msg);
      result.replayed++;
    }
    for (const m of keep) ch.nack(m, false, true);
    result.kept = keep.length;
    return result;
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/**
 * Discards dead letters of `service` for good (SPEC.md §4.1 step 5; README "Dead letters"): each message of
 * `${service}.dead-letter` matching `filter` (type, reason, at most `limit`) is acked and so removed; the others
 * are requeued where they were. Use it for messages that must never run again (e.g. commands about assets that no
 * longer exist, after reading them with {@link listDeadLetters}); the asset they concerned was already failed when
 * they were dead-lettered.
 *
 * @param conn an amqplib connection to the broker (vhost) of the service.
 * @param service the service name, e.g. `image-processor`.
 * @throws when the dead-letter queue does not exist (the service never ran against this broker/vhost).
 */
export async function discardDeadLetters(
  conn: ChannelModel,
  service: string,
  filter: DeadLetterFilter = {},
): Promise<DiscardResult> {
  const queue = queueNames.deadLetter(service);
  const ch = await conn.createChannel();
  const keep: GetMessage[] = [];
  let discarded = 0;
  try {
    const { messageCount } = await ch.checkQueue(queue);
    for (let i = 0; i < messageCount; i++) {
      const msg = await ch.get(queue, { noAck: false });
      if (!msg) break;
      const wanted =
        matches(summary(msg), filter) && (filter.limit === undefined || discarded < filter.limit);
      if (!wanted) {
        keep.push(msg);
        continue;
      }
      ch.ack(msg);
      discarded++;
    }
    for (const m of keep) ch.nack(m, false, true);
    return { discarded, kept: keep.length };
  } finally {
    // Closing the channel flushes the acks and requeues first.
    await ch.close().catch(() => undefined);
  }
}
