import { correlation } from '@vellum/common';
import { createEnvelope, Envelope, MessageClass, messageClassFor, validatePayload } from '@vellum/contracts';
import { MAX_PRIORITY } from './options';
import { currentMessage } from './message-scope';

/** Options of one publication. */
export interface PublishOptions {
  /** Defaults to `correlation.getOrCreate()` (the current HTTP request's or message's correlation id). */
  correlationId?: string;
  /** Defaults to the `id` of the message being handled in the current async context, if any. */
  causationId?: string;
  /** AMQP priority 0–10 (the priority lane uses 5, see `PRIORITY_LANE`). Default 0. */
  priority?: number;
}

/**
 * The routing key of a message instance: its class's static `routingKey`, which must be registered in the
 * contracts registry. @throws TypeError when the instance's class is not a registered message class.
 */
export function routingKeyOf(message: object): string {
  const cls = (message as { constructor?: Partial<MessageClass> & { name?: string } }).constructor;
  const key = cls?.routingKey;
  if (typeof key !== 'string' || messageClassFor(key) !== cls) {
    throw new TypeError(
      `${cls?.name ?? typeof message} is not a registered message class (see @vellum/contracts registerMessage)`,
    );
  }
  return key;
}

/** @throws RangeError unless `priority` is an integer in 0..10. */
export function checkPriority(priority: number | undefined): number {
  const p = priority ?? 0;
  if (!Number.isInteger(p) || p < 0 || p > MAX_PRIORITY)
    throw new RangeError(`priority must be an integer 0..${MAX_PRIORITY}, got ${p}`);
  return p;
}

/**
 * Validates a message instance against its registered class and wraps its JSON form in a fresh envelope
 * (`producer` as given, `correlationId`/`causationId` defaulted from the async context).
 * @throws TypeError (unregistered class), InvalidMessageError (payload invalid), RangeError (bad priority).
 */
export function buildEnvelope(
  message: object,
  opts: PublishOptions & { producer: string },
): { envelope: Envelope; priority: number } {
  const routingKey = routingKeyOf(message);
  const priority = checkPriority(opts.priority);
  // Validate exactly what consumers will receive: the JSON form of the instance.
  const data = JSON.parse(JSON.stringify(message)) as unknown;
  validatePayload(routingKey, data);
  const envelope = createEnvelope(routingKey, data, {
    producer: opts.producer,
    correlationId: opts.correlationId ?? correlation.getOrCreate(),
    causationId: opts.causationId ?? currentMessage()?.id,
  });
  return { envelope, priority };
}
