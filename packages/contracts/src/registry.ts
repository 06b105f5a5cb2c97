import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import type { Envelope, EnvelopeOptions } from './envelope';

/** A payload class registered under one routing key. */
export interface MessageClass<T extends object = object> {
  new (...args: never[]): T;
  /** `<domain>.<entity>.<event>.v<N>`: past tense for facts, imperative for commands. */
  readonly routingKey: string;
  /** One line for docs/events.md. */
  readonly description: string;
  /** Who publishes it and who consumes it, for docs/events.md and docs/architecture.md. */
  readonly producers: readonly string[];
  readonly consumers: readonly string[];
}

const ROUTING_KEY = /^[a-z][a-z-]*(\.[a-z][a-z-]*){1,3}\.v[1-9][0-9]*$/;
const registry = new Map<string, MessageClass>();

/**
 * Registers a payload class in the message registry. Throws at import time when the routing key is malformed
 * or registered twice, so a service cannot start with an ambiguous contract.
 */
export function registerMessage<T extends MessageClass>(cls: T): T {
  if (!ROUTING_KEY.test(cls.routingKey)) {
    throw new Error(`Malformed routing key "${cls.routingKey}": expected <domain>.<entity>.<event>.v<N>`);
  }
  if (registry.has(cls.routingKey)) throw new Error(`Routing key "${cls.routingKey}" registered twice`);
  registry.set(cls.routingKey, cls);
  return cls;
}

/** The payload class for a routing key, or `undefined` when no such message exists. */
export function messageClassFor(routingKey: string): MessageClass | undefined {
  return registry.get(routingKey);
}

/** Every registered message, sorted by routing key. */
export function allMessages(): MessageClass[] {
  return [...registry.values()].sort((a, b) => a.routingKey.localeCompare(b.routingKey));
}

/** Thrown (or returned) when a payload does not match its registered class; never worth a retry. */
export class InvalidMessageError extends Error {
  constructor(
    readonly routingKey: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${routingKey} payload: ${problems.join('; ')}`);
    this.name = 'InvalidMessageError';
  }
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${path}: ${m}`);
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/**
 * Validates a plain payload against the class registered for `routingKey` and returns the class instance.
 * Unknown properties are rejected (whitelist + forbidNonWhitelisted) so contract drift is visible.
 * @throws InvalidMessageError when the routing key is unknown or the payload is invalid.
 */
export function validatePayload<T extends object = object>(routingKey: string, data: unknown): T {
  const cls = registry.get(routingKey);
  if (!cls) throw new InvalidMessageError(routingKey, ['unknown routing key']);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidMessageError(routingKey, ['payload must be a JSON object']);
  }
  const instance = plainToInstance(cls as unknown as new () => T, data);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new InvalidMessageError(routingKey, flatten(errors));
  return instance;
}

/**
 * Validates an envelope's outer shape (not its payload).
 * @throws InvalidMessageError naming every missing or mistyped envelope field.
 */
export function validateEnvelope(raw: unknown): Envelope {
  const problems: string[] = [];
  const e = raw as Partial<Envelope> | null;
  if (!e || typeof e !== 'object')
    throw new InvalidMessageError('(unknown)', ['envelope must be a JSON object']);
  for (const f of ['id', 'type', 'occurredAt', 'correlationId', 'producer'] as const) {
    if (typeof e[f] !== 'string' || e[f] === '') problems.push(`${f}: must be a non-empty string`);
  }
  if (e.causationId !== undefined && typeof e.causationId !== 'string')
    problems.push('causationId: must be a string');
  if (!('data' in e)) problems.push('data: missing');
  if (problems.length)
    throw new InvalidMessageError(typeof e.type === 'string' ? e.type : '(unknown)', problems);
  return e as Envelope;
}

/** Wraps a payload in a fresh envelope. Does not validate; publishers validate before sending. */
export function createEnvelope<T>(routingKey: string, data: T, opts: EnvelopeOptions): Envelope<T> {
  return {
    id: opts.id ?? randomUUID(),
    type: routingKey,
    occurredAt: (opts.occurredAt ?? new Date()).toISOString(),
    correlationId: opts.correlationId,
    ...(opts.causationId ? { causationId: opts.causationId } : {}),
    producer: opts.producer,
    data,
  };
}
