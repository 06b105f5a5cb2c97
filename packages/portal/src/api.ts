/**
 * The portal's client of the management API (docs/api.md): same origin as /portal/, HTTP Basic `key:secret`
 * kept in sessionStorage only (gone when the tab closes). Every non-2xx answer becomes an {@link ApiError}
 * carrying the RFC 7807 problem's `title` and `detail` (SPEC.md §3.1), which the pages show as is.
 */

/** The signed-in session: the key pair and the customer (id or name) whose resources the pages show. */
export interface Session {
  key: string;
  secret: string;
  /** The customer's id (a number as text) or name. */
  customer: string;
  /** True when the key is an admin key (it may switch customer). */
  admin: boolean;
}

const STORE = 'vellum.portal.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORE);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(STORE, JSON.stringify(s));
  else sessionStorage.removeItem(STORE);
}

/** An API error: the problem document's `title`, `detail`, `status` and per-field `errors` (400). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: Array<{ field: string; message: string }> = [],
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

/** Builds an {@link ApiError} from a response body (problem JSON, or anything else). */
export function problemOf(status: number, statusText: string, bodyText: string): ApiError {
  try {
    const p = JSON.parse(bodyText) as { title?: string; detail?: string; errors?: ApiError['errors'] };
    if (p && typeof p === 'object' && (p.title || p.detail)) {
      return new ApiError(status, p.title ?? statusText, p.detail, Array.isArray(p.errors) ? p.errors : []);
    }
  } catch {
    // not JSON
  }
  return new ApiError(status, `${status} ${statusText || 'error'}`, bodyText.slice(0, 300) || undefined);
}

function authHeader(s: Session): string {
  return 'Basic ' + btoa(unescape(encodeURIComponent(`${s.key}:${s.secret}`)));
}

/** A parsed JSON body of the API (the pages read the documented fields of each resource). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A Hydra collection page: `member`, `totalItems`, `pageSize`. */
export interface Collection<T> {
  member: T[];
  totalItems?: number;
  pageSize?: number;
}

/** Turns an absolute API URL (the `@id`s and links the API returns) into a same-origin path. */
export function pathOf(url: string): string {
  try {
    const u = new URL(url, location.origin);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

/**
 * One API call: `path` relative to the API root (`/customers/2/spaces`) or an absolute link from a response;
 * `body` is sent as JSON. Resolves the parsed JSON (null for 204); rejects with an {@link ApiError}.
 */
export async function api<T = Json>(
  session: Session | null,
  method: string,
  path: string,
  body?: unknown,
  sessionOverride?: Pick<Session, 'key' | 'secret'>,
): Promise<T> {
  const creds = sessionOverride ?? session;
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Vellum-Client': 'portal' };
  if (creds) headers.Authorization = authHeader(creds as Session);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(location.origin + pathOf(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, 'The API could not be reached', String(err));
  }
  const text = await res.text();
  if (!res.ok) throw problemOf(res.status, res.statusText, text);
  return (text ? JSON.parse(text) : null) as T;
}

/** The customer's base path, `/customers/{customer}`. */
export function customerPath(s: Session): string {
  return `/customers/${encodeURIComponent(s.customer)}`;
}

/** Most members (files) of one queue batch (SPEC.md §3.3 "Queue and batches"). */
export const MAX_BATCH_FILES = 500;

/**
 * Submits files as one queue batch by multipart `POST C/queue` (docs/api/queue.md "Uploading the files with the
 * batch"): a `batch` field whose members name their file parts (`"file": "f0"`...), then the files in order, so
 * each file is stored as its asset's origin and ingested once, through the queue. Reports the bytes sent through
 * `onProgress(loaded, total)` (bytes of the whole request). Resolves the created `vocab:Batch`; rejects with an
 * {@link ApiError} (400 listing the members' problems, 413 naming a part too large...).
 * @param members at most {@link MAX_BATCH_FILES}: each an asset body (space, id, mediaType...) and its file.
 */
export function queueFiles(
  s: Session,
  members: Array<{ file: File; fields: Record<string, unknown> }>,
  onProgress: (loaded: number, total: number) => void,
): Promise<Json> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${customerPath(s)}/queue`);
    xhr.setRequestHeader('Authorization', authHeader(s));
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-Vellum-Client', 'portal');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
      } else reject(problemOf(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'Upload failed', 'The connection to the API was lost'));
    const form = new FormData();
    form.append(
      'batch',
      JSON.stringify({
        '@type': 'Collection',
        member: members.map((m, i) => ({ ...m.fields, file: `f${i}` })),
      }),
    );
    members.forEach((m, i) => form.append(`f${i}`, m.file, m.file.name));
    xhr.send(form);
  });
}

/**
 * Per-file progress (0..1) from the bytes of a multipart request sent so far: the files follow the batch field in
 * order, so file i spans `[start_i, start_i + size_i)` where the bytes before the first file (the batch field and
 * part headers, `total - Σ sizes`, spread evenly per part) come first.
 */
export function fileFractions(sizes: number[], loaded: number, total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  const perPart = sizes.length ? Math.max(0, total - sum) / (sizes.length + 1) : 0;
  let offset = perPart;
  return sizes.map((size) => {
    const start = offset + perPart;
    offset = start + size;
    if (size === 0) return loaded >= start ? 1 : 0;
    return Math.min(1, Math.max(0, (loaded - start) / size));
  });
}

/** A media type for a file: the browser's, else one from its extension (the API never sniffs). */
export function mediaTypeOf(file: File): string {
  if (file.type) return file.type;
  const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
  const known: Record<string, string> = {
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    png: 'image/png',
    gif: 'image/gif',
    webp: 'image/webp',
    tif: 'image/tiff',
    tiff: 'image/tiff',
    jp2: 'image/jp2',
    pdf: 'application/pdf',
    mp3: 'audio/mpeg',
    mp4: 'video/mp4',
    webm: 'video/webm',
  };
  return known[ext] ?? 'application/octet-stream';
}

/** An asset id from a file name: the allowed characters kept, others replaced by `-`. */
export function assetIdOf(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 200) || 'file';
}
