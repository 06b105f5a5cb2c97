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

/** Rejected by publishes while the broker connection is down (callers such as the outbox relay retry later). */
export class BrokerUnavailableError extends Error {
  constructor(detail: string) {
    super(`RabbitMQ unavailable: ${detail}`);
    this.name = 'BrokerUnavailableError';
  }
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
