import { RpcException } from '@nestjs/microservices';

/** Marker carried by the error object Nest's RPC exception filter re-throws for a {@link PermanentMessageError}. */
export const PERMANENT_MARKER = '__vellumPermanent';

/**
 * Thrown by a handler when retrying cannot help (corrupt file, 404 at origin, unsupported format...): the message
 * goes to the service's dead-letter queue at once, without retries (SPEC.md §4.1 step 5).
 *
 * It extends Nest's `RpcException` so that Nest's default RPC exception filter passes it through to the transport
 * intact (a plain `Error` reaches the transport only as "Internal server error"; see README "Errors").
 */
export class PermanentMessageError extends RpcException {
  readonly permanent = true;

  constructor(message: string) {
    super({ status: 'error', message, name: 'PermanentMessageError', [PERMANENT_MARKER]: true });
    this.name = 'PermanentMessageError';
  }
}

/** True for a {@link PermanentMessageError}, or the object Nest's RPC exception filter re-throws for one. */
export function isPermanentError(err: unknown): boolean {
  if (err instanceof PermanentMessageError) return true;
  return (
    typeof err === 'object' && err !== null && (err as Record<string, unknown>)[PERMANENT_MARKER] === true
  );
}

/** Marker carried by the error object Nest's RPC exception filter re-throws for a {@link ParkMessage}: its lot. */
export const PARK_MARKER = '__vellumParkingLot';

/** What a parking lot may be called: one queue-name segment (`${queue}.parked.${lot}`). */
const LOT_NAME = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Thrown by a handler to set its message aside, without spending an attempt, in the parking lot `lot` of its queue
 * (`${queue}.parked.${lot}`, a durable queue nobody consumes), until `VellumRmqTransport.unpark` moves it back.
 * The message keeps its headers (attempt, redeliveries); nothing else about it changes. Used for fair sharing: the
 * ingest-orchestrator parks a customer's batch members beyond its window, so other customers' messages come forward.
 * @throws RangeError when `lot` is not 1–100 characters of `[A-Za-z0-9_-]`.
 */
export class ParkMessage extends RpcException {
  constructor(
    readonly lot: string,
    reason: string,
  ) {
    if (!LOT_NAME.test(lot)) throw new RangeError(`parking lot names are 1-100 of [A-Za-z0-9_-], got ${lot}`);
    super({ status: 'parked', message: reason, name: 'ParkMessage', [PARK_MARKER]: lot });
    this.name = 'ParkMessage';
  }
}

/** The lot of a {@link ParkMessage} (or of the object Nest's RPC exception filter re-throws for one), else undefined. */
export function parkingLotOf(err: unknown): string | undefined {
  if (err instanceof ParkMessage) return err.lot;
  if (typeof err !== 'object' || err === null) return undefined;
  const lot = (err as Record<string, unknown>)[PARK_MARKER];
  return typeof lot === 'string' ? lot : undefined;
}

/** Rejected by publishes while the broker connection is down (callers such as the outbox relay retry later). */
export class BrokerUnavailableError extends Error {
  constructor(detail: string) {
    super(`RabbitMQ unavailable: ${detail}`);
    this.name = 'BrokerUnavailableError';
  }
}

/** True for a {@link BrokerUnavailableError} (by name: it may have crossed Nest's exception layer). */
export function isBrokerUnavailable(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'BrokerUnavailableError'
  );
}

/** A human-readable message for any thrown value (Error, Nest RPC error object, string...). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
