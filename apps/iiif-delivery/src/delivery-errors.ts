import { ProblemException } from '@vellum/common';
import { IiifError } from '@vellum/iiif';
import { STATUS_CODES } from 'node:http';

/**
 * Errors answered to the public as RFC 7807 problem documents (via @vellum/common's ProblemExceptionFilter):
 * `{ "@type": "Error", type, title, status, detail, instance }` (SPEC.md §5: unknown customer/space/asset → 404
 * JSON; still ingesting → 404 JSON saying so; bad IIIF syntax → 400).
 */
export function deliveryError(
  status: number,
  detail: string,
  headers: Record<string, string> = {},
): ProblemException {
  const e = ProblemException.of(status, STATUS_CODES[status] ?? 'Error', detail);
  Object.assign(e.headers, headers);
  return e;
}

/** 404 with a detail message. */
export function notFound(detail: string): ProblemException {
  return deliveryError(404, detail);
}

/** 400 with a detail message. */
export function badRequest(detail: string): ProblemException {
  return deliveryError(400, detail);
}

/** Runs `fn`, turning an {@link IiifError} into a problem with its status (400, 501). */
export function iiif<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof IiifError) throw deliveryError(err.status, err.message);
    throw err;
  }
}

/** True for the problems this module makes (any HttpException subclass of ProblemException). */
export function isDeliveryError(err: unknown): err is ProblemException {
  return err instanceof ProblemException;
}
