/**
 * The envelope every message on the Vellum bus travels in (SPEC.md §2 "Message registry").
 *
 * Shape: `{ id, type, occurredAt, correlationId, causationId, producer, data }`.
 * - `id`: UUID v4 of this message; consumers use it (with their own name) for idempotency.
 * - `type`: the routing key, `<domain>.<entity>.<event>.v<N>`.
 * - `occurredAt`: ISO 8601 UTC timestamp of when the producer created the message.
 * - `correlationId`: the id of the HTTP request (or batch) that started the chain; carried through every hop.
 * - `causationId`: the `id` of the message that caused this one, absent for the first message of a chain.
 * - `producer`: the service name that produced the message (e.g. `api-gateway`).
 * - `data`: the payload, validated against the registered payload class before any handler runs.
 */
export interface Envelope<T = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  correlationId: string;
  causationId?: string;
  producer: string;
  data: T;
}

/** Options a producer may set when it creates an envelope. */
export interface EnvelopeOptions {
  correlationId: string;
  causationId?: string;
  producer: string;
  /** Defaults to a fresh UUID v4. */
  id?: string;
  /** Defaults to now. */
  occurredAt?: Date;
}
