import { problem, ProblemException } from '@vellum/common';

/**
 * Hydra collections and paging (SPEC.md §3.1): `page` (1-based), `pageSize` (default 100, max 500),
 * `orderBy` / `orderByDescending` from a whitelist per collection; `view` (PartialCollectionView) only when there
 * is more than one page.
 */
export const HYDRA_CONTEXT = 'http://www.w3.org/ns/hydra/context.jsonld';
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

export interface Paging<F extends string = string> {
  page: number;
  pageSize: number;
  skip: number;
  /** The whitelisted field to order by, when asked. */
  orderBy?: F;
  descending: boolean;
}

/** A failed query parameter, as listed in the 400 problem. */
export interface FieldError {
  field: string;
  message: string;
}

/** Thrown by {@link parsePaging} (and query filters) with every bad parameter: a 400 problem listing them. */
export class QueryValidationError extends ProblemException {
  constructor(readonly errors: FieldError[]) {
    super(
      problem(400, 'Invalid query', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
        type: 'validation-failed',
        errors,
      }),
    );
  }
}

/** Highest page number accepted: the row offset it implies stays within an int4 (Postgres OFFSET, Prisma skip). */
export const MAX_PAGE = 1_000_000;

function positiveInt(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/**
 * Parses paging/ordering query parameters.
 * @param orderFields the whitelist of fields this collection can be ordered by.
 * @throws QueryValidationError listing every bad parameter (non-integer page, pageSize out of 1..500,
 *   unknown order field, both orderBy and orderByDescending).
 */
export function parsePaging<F extends string>(
  query: Record<string, unknown>,
  orderFields: readonly F[],
): Paging<F> {
  const errors: FieldError[] = [];
  let page = 1;
  let pageSize = DEFAULT_PAGE_SIZE;
  if (query.page !== undefined) {
    const p = positiveInt(query.page);
    if (p === undefined || p > MAX_PAGE)
      errors.push({ field: 'page', message: `page must be an integer from 1 to ${MAX_PAGE}` });
    else page = p;
  }
  if (query.pageSize !== undefined) {
    const p = positiveInt(query.pageSize);
    if (p === undefined || p > MAX_PAGE_SIZE)
      errors.push({ field: 'pageSize', message: `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}` });
    else pageSize = p;
  }
  let orderBy: F | undefined;
  let descending = false;
  const asc = query.orderBy;
  const desc = query.orderByDescending;
  if (asc !== undefined && desc !== undefined) {
    errors.push({ field: 'orderBy', message: 'give orderBy or orderByDescending, not both' });
  }
  const field = desc ?? asc;
  if (field !== undefined) {
    const name = desc !== undefined ? 'orderByDescending' : 'orderBy';
    if (typeof field !== 'string' || !(orderFields as readonly string[]).includes(field)) {
      errors.push({
        field: name,
        message: `cannot order by "${typeof field === 'string' ? field : JSON.stringify(field)}"; allowed: ${orderFields.join(', ')}`,
      });
    } else {
      orderBy = field as F;
      descending = desc !== undefined;
    }
  }
  if (errors.length) throw new QueryValidationError(errors);
  return { page, pageSize, skip: (page - 1) * pageSize, orderBy, descending };
}

/** Returns `url` with its `page` (and `pageSize`) query parameters set. */
export function withPage(url: string, page: number, pageSize: number): string {
  const u = new URL(url);
  u.searchParams.set('page', String(page));
  u.searchParams.set('pageSize', String(pageSize));
  return u.toString();
}

export interface HydraCollection<T> {
  '@context': string;
  '@id': string;
  '@type': 'Collection';
  totalItems: number;
  pageSize: number;
  member: T[];
  view?: {
    '@id': string;
    '@type': 'PartialCollectionView';
    first: string;
    previous?: string;
    next?: string;
    last: string;
    page: number;
    pageSize: number;
    totalPages: number;
  };
}

/**
 * Builds a Hydra collection for one page.
 * @param requestUrl the absolute URL of the request (the collection's `@id`).
 */
export function hydraCollection<T>(
  requestUrl: string,
  members: T[],
  totalItems: number,
  paging: Pick<Paging, 'page' | 'pageSize'>,
): HydraCollection<T> {
  const { page, pageSize } = paging;
  const collection: HydraCollection<T> = {
    '@context': HYDRA_CONTEXT,
    '@id': requestUrl,
    '@type': 'Collection',
    totalItems,
    pageSize,
    member: members,
  };
  const totalPages = Math.max(1, Math.ceil(totalItems / pageSize));
  if (totalPages > 1) {
    collection.view = {
      '@id': withPage(requestUrl, page, pageSize),
      '@type': 'PartialCollectionView',
      first: withPage(requestUrl, 1, pageSize),
      ...(page > 1 ? { previous: withPage(requestUrl, Math.min(page - 1, totalPages), pageSize) } : {}),
      ...(page < totalPages ? { next: withPage(requestUrl, page + 1, pageSize) } : {}),
      last: withPage(requestUrl, totalPages, pageSize),
      page,
      pageSize,
      totalPages,
    };
  }
  return collection;
}

/** Removes keys whose value is `undefined` or `null` (SPEC.md §3.1: absent values are omitted rather than null). */
export function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const key of Object.keys(obj)) {
    if (obj[key] === undefined || obj[key] === null) delete obj[key];
  }
  return obj;
}
