import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type ArgumentsHost,
  BadRequestException,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
  ValidationPipe,
  type ValidationPipeOptions,
} from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { type Observable, throwError } from 'rxjs';
import { isTransientDbError } from '@vellum/db';

/** Base of every problem `type` URI: `https://vellum.dev/problems/<slug>`. */
export const PROBLEM_TYPE_BASE = 'https://vellum.dev/problems/';
/** Media type of problem documents (RFC 7807). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One failed field of a validation problem, e.g. `{ field: "members[2].origin", message: "origin must be a URL" }`. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * RFC 7807 problem document in the shape DLCS clients also understand (SPEC §3.1):
 * `{ "@type": "Error", type, title, status, detail?, instance?, errors?, ...extra }`.
 */
export interface ProblemDetails {
  '@type': 'Error';
  /** Absolute URI identifying the problem kind, `https://vellum.dev/problems/<slug>`. */
  type: string;
  /** Short, human-readable summary of the kind (same for every occurrence). */
  title: string;
  /** HTTP status code. */
  status: number;
  /** What went wrong in this occurrence. */
  detail?: string;
  /** The request path that produced it (filled in by {@link ProblemExceptionFilter}). */
  instance?: string;
  /** Validation problems: every failed field. */
  errors?: FieldError[];
  [extension: string]: unknown;
}

const SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  402: 'payment-required',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  409: 'conflict',
  410: 'gone',
  411: 'length-required',
  412: 'precondition-failed',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  416: 'range-not-satisfiable',
  422: 'unprocessable-entity',
  428: 'precondition-required',
  429: 'too-many-requests',
  431: 'request-header-fields-too-large',
  500: 'internal-error',
  501: 'not-implemented',
  502: 'bad-gateway',
  503: 'service-unavailable',
  504: 'gateway-timeout',
  507: 'insufficient-storage',
};

/** `https://vellum.dev/problems/<slug>`; an absolute URI is returned unchanged. */
export function problemType(slugOrUri: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(slugOrUri) ? slugOrUri : `${PROBLEM_TYPE_BASE}${slugOrUri}`;
}

/** The default slug for an HTTP status (`404` → `not-found`, unknown 4xx → `client-error`, 5xx → `server-error`). */
export function problemSlugForStatus(status: number): string {
  return SLUGS[status] ?? (status >= 500 ? 'server-error' : 'client-error');
}

/**
 * Builds an RFC 7807 problem document (SPEC §3.1).
 *
 * @param status HTTP status code (400–599).
 * @param title short summary, e.g. `Asset not found`.
 * @param detail what happened in this occurrence; omitted when undefined.
 * @param extra extension members merged in; `type` may be a slug (`quota-exceeded`) or an absolute URI and
 *   defaults to the status' slug (`not-found`); `instance` defaults to the request path (set by the filter).
 * @example problem(404, 'Not Found', 'No asset 7/1/foo') →
 *   `{ "@type": "Error", type: "https://vellum.dev/problems/not-found", title: "Not Found", status: 404, detail: "No asset 7/1/foo" }`
 */
export function problem(
  status: number,
  title: string,
  detail?: string,
  extra?: Record<string, unknown>,
): ProblemDetails {
  const { type, ...rest } = extra ?? {};
  const out: ProblemDetails = {
    '@type': 'Error',
    type: problemType(typeof type === 'string' ? type : problemSlugForStatus(status)),
    title,
    status,
  };
  if (detail !== undefined) out.detail = detail;
  for (const [k, v] of Object.entries(rest))
    if (v !== undefined && k !== '@type' && k !== 'status' && k !== 'title') out[k] = v;
  return out;
}

/**
 * An HttpException carrying a ready problem document (and optional response headers, e.g.
 * `{ 'WWW-Authenticate': 'Basic realm="Vellum"' }` for 401, `{ 'Retry-After': '5' }` for 503).
 * `throw new ProblemException(problem(409, 'Conflict', 'Space 3 already exists'))`.
 */
export class ProblemException extends HttpException {
  constructor(
    readonly problem: ProblemDetails,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(problem, problem.status, options);
  }

  /** Shorthand for `new ProblemException(problem(status, title, detail, extra))`. */
  static of(
    status: number,
    title: string,
    detail?: string,
    extra?: Record<string, unknown>,
  ): ProblemException {
    return new ProblemException(problem(status, title, detail, extra));
  }
}

function fieldPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

/**
 * Flattens class-validator errors (nested objects and arrays included) into `[{ field, message }]`, one entry
 * per failed constraint; fields are paths like `members[2].origin`.
 */
export function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = fieldPath(parent, e.property);
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    if (e.children?.length) out.push(...toFieldErrors(e.children, field));
  }
  return out;
}

/** `ValidationPipe` exceptionFactory: a 400 problem with every failed field in `errors`. */
export function validationExceptionFactory(errors: ValidationError[]): ProblemException {
  const fieldErrors = toFieldErrors(errors);
  return new ProblemException(
    problem(
      400,
      'Invalid request',
      `${fieldErrors.length} validation error${fieldErrors.length === 1 ? '' : 's'}: ${fieldErrors.map((e) => e.message).join('; ')}`,
      {
        type: 'validation-failed',
        errors: fieldErrors,
      },
    ),
  );
}

/**
 * The ValidationPipe Vellum apps install globally (`app.useGlobalPipes(createValidationPipe())`): transforms
 * DTOs, strips unknown properties (DLCS clients send `@context`, `@id`, `@type`...), and reports every failed
 * field as a 400 problem via {@link validationExceptionFactory}. `options` override the defaults.
 */
export function createValidationPipe(options: ValidationPipeOptions = {}): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: false,
    forbidUnknownValues: false,
    exceptionFactory: validationExceptionFactory,
    ...options,
  });
}

/**
 * The database (or a socket to a dependency) is unreachable or briefly unable to serve: answered 503 with
 * `Retry-After` (SPEC.md §10 "Postgres briefly unavailable → 503"). Uses @vellum/db's classification, plus
 * Prisma's client initialisation failure.
 */
function isUnavailable(err: unknown): boolean {
  return (
    isTransientDbError(err) ||
    (typeof err === 'object' &&
      err !== null &&
      (err as { name?: unknown }).name === 'PrismaClientInitializationError')
  );
}

/** A problem document plus the response headers to send and whether to log the cause. */
export interface RenderedProblem {
  problem: ProblemDetails;
  headers: Record<string, string>;
  /** Log the exception at error level (unexpected failures). */
  log: boolean;
}

function titleFor(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** Turns Nest's default HttpException bodies into problem members. */
function fromHttpException(ex: HttpException, req?: Req): RenderedProblem {
  const status = ex.getStatus();
  const body = ex.getResponse();
  if (ex instanceof ProblemException)
    return { problem: { ...ex.problem }, headers: ex.headers, log: status >= 500 };
  if (body && typeof body === 'object' && (body as { '@type'?: unknown })['@type'] === 'Error') {
    return { problem: { ...(body as ProblemDetails), status }, headers: {}, log: status >= 500 };
  }
  const cause = (ex as { cause?: unknown }).cause;
  const parserProblem = cause ? fromBodyParserError(cause) : undefined;
  if (parserProblem) return parserProblem;
  if (req && isJsonSyntaxError(ex, req)) return MALFORMED_JSON();
  let detail: string | undefined;
  let errors: FieldError[] | undefined;
  if (typeof body === 'string') detail = body;
  else if (body && typeof body === 'object') {
    const message = (body as { message?: unknown }).message;
    if (Array.isArray(message)) {
      // Nest's default ValidationPipe: "field must be ..." strings; the field is the first word.
      errors = message.map((m) => {
        const s = String(m);
        return { field: s.split(' ', 1)[0] ?? '', message: s };
      });
      detail = errors.map((e) => e.message).join('; ');
    } else if (typeof message === 'string') detail = message;
  }
  if (detail === titleFor(status)) detail = undefined;
  const p = problem(
    status,
    titleFor(status),
    detail,
    errors ? { type: 'validation-failed', errors } : undefined,
  );
  return { problem: p, headers: {}, log: status >= 500 };
}

const MALFORMED_JSON = (): RenderedProblem => ({
  problem: problem(400, 'Malformed JSON', 'The request body is not valid JSON.', { type: 'malformed-json' }),
  headers: {},
  log: false,
});

/**
 * Nest's Express error handler turns body-parser's SyntaxError into `new BadRequestException(err.message)`
 * (dropping the error), so a malformed body is recognised by a plain BadRequestException whose message
 * mentions JSON on a request with a JSON content type.
 */
function isJsonSyntaxError(ex: HttpException, req: Req): boolean {
  if (Object.getPrototypeOf(ex) !== BadRequestException.prototype) return false;
  const contentType = req.headers?.['content-type'] ?? '';
  return /[/+]json\b/i.test(contentType) && /JSON/.test(ex.message);
}

/** body-parser / raw-body / http-errors errors (`type: 'entity.parse.failed'` etc.). */
function fromBodyParserError(err: unknown): RenderedProblem | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as {
    type?: unknown;
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
  };
  switch (e.type) {
    case 'entity.parse.failed':
      return MALFORMED_JSON();
    case 'entity.too.large':
      return {
        problem: problem(413, 'Payload Too Large', 'The request body exceeds the size limit.'),
        headers: {},
        log: false,
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        problem: problem(
          415,
          'Unsupported Media Type',
          typeof e.message === 'string' ? e.message : undefined,
        ),
        headers: {},
        log: false,
      };
    case 'request.aborted':
      return { problem: problem(400, 'Bad Request', 'The request was aborted.'), headers: {}, log: false };
    default:
      break;
  }
  const status =
    typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500 && e.expose === true) {
    return {
      problem: problem(status, titleFor(status), typeof e.message === 'string' ? e.message : undefined),
      headers: {},
      log: false,
    };
  }
  return undefined;
}

/**
 * Maps any thrown value to a problem document (SPEC §3.1): ProblemException as is; other HttpExceptions by
 * status with Nest's message as `detail` (validation message arrays become `errors`); body-parser errors → 400
 * "Malformed JSON" / 413 / 415; database/dependency unreachable → 503 with `Retry-After: 1`; anything else →
 * 500 with a generic detail (never a message or stack trace from the error).
 */
export function toProblem(exception: unknown, req?: IncomingMessage): RenderedProblem {
  if (exception instanceof HttpException) return fromHttpException(exception, req);
  const parser = fromBodyParserError(exception);
  if (parser) return parser;
  if (isUnavailable(exception)) {
    return {
      problem: problem(503, 'Service Unavailable', 'A dependency is temporarily unavailable; retry shortly.'),
      headers: { 'Retry-After': '1' },
      log: true,
    };
  }
  return {
    problem: problem(500, 'Internal Server Error', 'An unexpected error occurred.'),
    headers: {},
    log: true,
  };
}

type Req = IncomingMessage & { originalUrl?: string };

/**
 * Global exception filter rendering every error of an HTTP request as `application/problem+json` (SPEC §3.1),
 * with `instance` = the request path. Install with `app.useGlobalFilters(new ProblemExceptionFilter())`.
 * Unexpected errors (500/503) are logged at `error` with their stack; nothing of them reaches the body.
 * In non-HTTP contexts (message handlers of a hybrid app with `inheritAppConfig`) it re-throws, so the
 * messaging transport still sees the failure and retries or dead-letters.
 */
@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() !== 'http') return throwError(() => exception);
    const http = host.switchToHttp();
    const req = http.getRequest<Req>();
    const res = http.getResponse<ServerResponse>();
    const rendered = toProblem(exception, req);
    const p = rendered.problem;
    if (p.instance === undefined) {
      const path = (req.originalUrl ?? req.url ?? '').split('?', 1)[0];
      if (path) p.instance = path;
    }
    if (rendered.log) {
      this.logger.error(
        { err: exception, method: req.method, url: req.originalUrl ?? req.url, status: p.status },
        `${req.method} ${req.originalUrl ?? req.url} failed: ${exception instanceof Error ? exception.message : String(exception)}`,
      );
    }
    if (res.headersSent) {
      // Too late for a problem document: end (or cut) the response so the client does not hang.
      if (!res.writableEnded) res.destroy();
      return;
    }
    const body = JSON.stringify(p);
    res.statusCode = p.status;
    for (const [k, v] of Object.entries(rendered.headers)) res.setHeader(k, v);
    res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.setHeader('Cache-Control', 'no-store');
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
