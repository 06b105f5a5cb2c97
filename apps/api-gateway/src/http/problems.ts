import { problem, ProblemException, type FieldError } from '@vellum/common';

export type { FieldError } from '@vellum/common';

/**
 * RFC 7807 problems raised by the gateway (SPEC.md §3.1), rendered as `application/problem+json` by the
 * `ProblemExceptionFilter` from @vellum/common (which adds `instance`).
 */

/** 400 listing every failed field in `errors` (and all of them in `detail`). */
export function validationProblem(errors: FieldError[], detail?: string): ProblemException {
  return ProblemException.of(
    400,
    'Invalid request',
    detail ??
      `${errors.length} validation error${errors.length === 1 ? '' : 's'}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    { type: 'validation-failed', errors },
  );
}

/** 404 problem (SPEC.md §3.1): the resource does not exist (or is not visible to this key). */
export function notFound(detail: string): ProblemException {
  return ProblemException.of(404, 'Not Found', detail);
}

/** 409 problem (SPEC.md §3.1): the request conflicts with the current state (duplicate name, existing id). */
export function conflict(detail: string): ProblemException {
  return ProblemException.of(409, 'Conflict', detail);
}

/** 403 problem (SPEC.md §3.1): authenticated, but this key may not act on this resource. */
export function forbidden(detail: string): ProblemException {
  return ProblemException.of(403, 'Forbidden', detail);
}

/** 503 problem (SPEC.md §3.1): a dependency (Postgres, RabbitMQ) does not answer; clients may retry. */
export function unavailable(detail: string): ProblemException {
  return new ProblemException(problem(503, 'Service Unavailable', detail), { 'Retry-After': '1' });
}

/** 401 with `WWW-Authenticate: Basic realm="Vellum"` (SPEC.md §3.2). */
export function unauthorized(detail: string): ProblemException {
  return new ProblemException(problem(401, 'Unauthorized', detail), {
    'WWW-Authenticate': 'Basic realm="Vellum"',
  });
}

/** 429 with `Retry-After` (seconds): too many failed authentications (SPEC.md §10 Security). */
export function tooManyRequests(detail: string, retryAfterSeconds: number): ProblemException {
  return new ProblemException(problem(429, 'Too Many Requests', detail), {
    'Retry-After': String(retryAfterSeconds),
  });
}

/** 413 problem (SPEC.md §3.1): the request (here: an uploaded file) is larger than the limit. */
export function payloadTooLarge(detail: string): ProblemException {
  return ProblemException.of(413, 'Payload Too Large', detail, { type: 'payload-too-large' });
}

/** 507 problem (SPEC.md §3.1, §8): the customer's storage policy does not allow what the request would add. */
export function insufficientStorage(detail: string): ProblemException {
  return ProblemException.of(507, 'Insufficient Storage', detail, { type: 'storage-quota-exceeded' });
}
