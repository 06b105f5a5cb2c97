import { AsyncLocalStorage } from 'node:async_hooks';
import type { Envelope } from '@vellum/contracts';

/** What the transport knows about the message being handled in the current async context. */
export interface MessageScope {
  envelope: Envelope;
  /** The original error a handler threw, captured before Nest's RPC exception filter replaces it. */
  error?: unknown;
}

const storage = new AsyncLocalStorage<MessageScope>();

/** Runs `fn` as the handling of one message (used by the transport). */
export function runInMessageScope<R>(scope: MessageScope, fn: () => R): R {
  return storage.run(scope, fn);
}

/**
 * The envelope of the message whose handler is running in the current async context, or `undefined`.
 * {@link MessagePublisher.publish} uses it to default `causationId` (and `correlationId` goes through
 * `correlation` from @vellum/common), so replies and follow-up commands chain automatically.
 */
export function currentMessage(): Envelope | undefined {
  return storage.getStore()?.envelope;
}

/** Internal: the scope of the running handler, if any. */
export function currentScope(): MessageScope | undefined {
  return storage.getStore();
}
