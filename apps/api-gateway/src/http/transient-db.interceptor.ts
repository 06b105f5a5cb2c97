import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { isTransientDbError } from '@vellum/db';
import { catchError, type Observable, throwError } from 'rxjs';
import { unavailable } from './problems';

/**
 * Maps transient database failures (Postgres down, connection reset, pool exhausted, serialization failure) to a
 * 503 problem with `Retry-After` instead of a 500 (SPEC.md §10 "Postgres briefly unavailable → 503").
 */
@Injectable()
export class TransientDbErrorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    return next.handle().pipe(catchError((err: unknown) => throwError(() => mapTransient(err))));
  }
}

/** Returns a 503 problem for a transient DB error, else the error itself. */
export function mapTransient(err: unknown): unknown {
  if (err && typeof err === 'object' && 'getStatus' in err) return err;
  return isTransientDbError(err)
    ? unavailable('The database is temporarily unavailable; retry shortly.')
    : err;
}
