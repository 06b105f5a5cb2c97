import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { findUnstorableStrings, problem, ProblemException } from '@vellum/common';
import {
  OBJECT_STORE,
  originKey,
  storeOriginUri,
  type ObjectStore,
  type VellumBuckets,
} from '@vellum/storage';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { GATEWAY_ENV, type GatewayEnv } from '../../config/gateway-env';
import { verifyJsonBody } from '../../http/json-body';
import { notFound, payloadTooLarge, unavailable, validationProblem } from '../../http/problems';
import { SpacesService } from '../../spaces/spaces.service';
import { QuotaService } from '../../storage/quota.service';
import { assetIdProblem } from '../asset-id';
import { AssetsRepository } from '../assets.repository';
import { Base64Decoder, Base64Error } from './base64-decoder';
import { FormFields } from './form-fields';
import { JsonUploadSplitter, SplitterError } from './json-upload-splitter';
import { isMultipart, isStreamedJsonUpload } from './upload-request';
import { GATEWAY_BUCKETS } from './upload-store';
import { UploadSink, UploadStoreError, UploadTooLargeError } from './upload-sink';

/**
 * A file received with an asset write, in the store but not committed yet (see {@link UploadSink}). The assets
 * service commits it once the write is validated, just before the asset row is written.
 */
export interface PendingUpload {
  /** The asset's origin: the store object the file goes to, `vellum-store://{origins bucket}/{originKey}`. */
  readonly origin: string;
  /** Bytes of the file (the whole request has been read). */
  readonly size: number;
  /** Makes the store hold the file. @throws 503 problem when the store fails */
  commit(): Promise<void>;
  /** Drops the file unless committed (idempotent). */
  abort(): Promise<void>;
}

/** An asset body read by the upload reader, and the file it carried (if any). */
export interface ReceivedAssetBody {
  /** The asset fields (JSON members or form fields), without `file`. */
  body: Record<string, unknown>;
  upload?: PendingUpload;
}

/** Most form fields and parts a multipart upload may have. */
const MAX_FORM_FIELDS = 100;

/**
 * Uploads (SPEC.md §3.3 "Assets": `PUT`/`POST C/spaces/{s}/images[/{id}]` with the master file in the request
 * instead of an `origin`; §4.2 "Uploaded bytes: stored as the origin copy"). Three request forms:
 * - `multipart/form-data`: a `file` part (with a filename) and the asset fields as form fields (parsed as
 *   {@link FormFields} says);
 * - JSON larger than `VELLUM_MAX_BODY_BYTES` or chunked: read by the {@link JsonUploadSplitter}, its base64
 *   `file` member decoded as it arrives ({@link Base64Decoder}), the rest parsed and checked like any JSON body;
 * - a small JSON body (already parsed) with a base64 `file` member.
 * The file streams straight into the origins bucket at the asset's `originKey` (where the orchestrator would have
 * staged an origin), never whole in memory, its commit held back until the write is validated; the asset's origin
 * becomes `vellum-store://{bucket}/{key}` and the orchestrator ingests that object in place, without fetching.
 *
 * Limits: the file ≤ `VELLUM_MAX_UPLOAD_BYTES` (decoded bytes), the other fields ≤ `VELLUM_MAX_BODY_BYTES`; beyond
 * → 413 and nothing kept. The space must exist (404) and the quota allow a new asset (507) before anything is
 * read. On POST the file is stored under the body's `id` when it comes before the file, else under a minted one.
 */
@Injectable()
export class UploadService {
  private bucketReady: Promise<void> | undefined;

  constructor(
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(GATEWAY_BUCKETS) private readonly buckets: VellumBuckets,
    private readonly spaces: SpacesService,
    private readonly assets: AssetsRepository,
    private readonly quota: QuotaService,
  ) {}

  /**
   * Reads an asset write that carries (or may carry) a file; null when the request is an ordinary JSON write.
   * @param parsedBody what the global JSON parser made of the body (undefined when it left the body unread).
   * @throws 400 (bad form, bad base64, empty file, `origin` with `file`, POST `id` after the file), 404 (space),
   *   413 (too large), 415 (charset), 503 (object store), 507 (quota); the request is then not read further and
   *   the connection closes after the answer.
   */
  async receive(
    req: Request,
    res: Response,
    customerId: number,
    spaceId: number,
    urlId: string | undefined,
    parsedBody: unknown,
  ): Promise<ReceivedAssetBody | null> {
    const kind = isMultipart(req)
      ? 'multipart'
      : isStreamedJsonUpload(req, this.env.VELLUM_MAX_BODY_BYTES)
        ? 'json-stream'
        : isObject(parsedBody) && 'file' in parsedBody
          ? 'json-parsed'
          : null;
    if (!kind) return null;
    let sink: UploadSink | undefined;
    let usedId: string | undefined;
    let minted = false;
    const open = (bodyId: unknown, contentType?: unknown): UploadSink => {
      usedId = urlId ?? (typeof bodyId === 'string' && bodyId !== '' ? bodyId : undefined);
      if (usedId === undefined) {
        usedId = randomUUID();
        minted = true;
      }
      const idProblem = assetIdProblem(usedId);
      if (idProblem) throw validationProblem([{ field: 'id', message: idProblem }]);
      const key = originKey({ customerId, spaceId, assetId: usedId });
      sink = new UploadSink(
        this.store,
        this.buckets.origins,
        key,
        this.env.VELLUM_MAX_UPLOAD_BYTES,
        typeof contentType === 'string' ? contentType : undefined,
      );
      return sink;
    };
    try {
      await this.precheck(customerId, spaceId, urlId);
      let body: Record<string, unknown>;
      if (kind === 'multipart') body = await this.readMultipart(req, open);
      else if (kind === 'json-stream') body = await this.readJsonStream(req, open);
      else body = await this.readParsedJson(parsedBody as Record<string, unknown>, open);
      if (!sink) {
        if (kind === 'multipart')
          throw validationProblem([
            { field: 'file', message: 'a multipart/form-data body must carry a file part named file' },
          ]);
        return { body };
      }
      const file: UploadSink = sink;
      if (file.bytes === 0)
        throw validationProblem([{ field: 'file', message: 'the uploaded file is empty' }]);
      if (body.origin !== undefined && body.origin !== null && body.origin !== '')
        throw validationProblem([{ field: 'origin', message: 'give an origin or upload a file, not both' }]);
      delete body.origin;
      if (minted && typeof body.id === 'string' && body.id !== usedId)
        throw validationProblem([
          { field: 'id', message: 'on POST, send id before the file so the file is stored under it' },
        ]);
      if (urlId === undefined) body.id = usedId;
      const origin = storeOriginUri(
        this.buckets.origins,
        originKey({ customerId, spaceId, assetId: usedId! }),
      );
      return {
        body,
        upload: {
          origin,
          size: file.bytes,
          commit: async () => {
            try {
              await file.commit();
            } catch (err) {
              throw toProblem(err);
            }
          },
          abort: () => file.abort(),
        },
      };
    } catch (err) {
      await sink?.abort();
      if (!req.complete) discardRest(req, res);
      throw toProblem(err);
    }
  }

  /** 404 for a missing space, 507 when the quota has no room for a new asset, before any byte is read. */
  private async precheck(customerId: number, spaceId: number, urlId: string | undefined): Promise<void> {
    if (!(await this.spaces.exists(customerId, spaceId))) throw notFound(`Space ${spaceId} not found.`);
    const existing = urlId !== undefined ? await this.assets.get(customerId, spaceId, urlId) : null;
    await this.quota.check(customerId, existing ? 0 : 1);
    this.bucketReady ??= this.store.ensureBucket(this.buckets.origins).catch((err: unknown) => {
      this.bucketReady = undefined;
      throw new UploadStoreError(err);
    });
    await this.bucketReady;
  }

  /** `multipart/form-data`: form fields and one `file` part, streamed into the sink. */
  private readMultipart(
    req: Request,
    open: (id: unknown, contentType?: unknown) => UploadSink,
  ): Promise<Record<string, unknown>> {
    const maxBody = this.env.VELLUM_MAX_BODY_BYTES;
    return new Promise((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers: req.headers,
          defParamCharset: 'utf8',
          limits: {
            fieldSize: maxBody,
            fieldNameSize: 200,
            fields: MAX_FORM_FIELDS,
            files: 1,
            parts: MAX_FORM_FIELDS + 1,
          },
        });
      } catch (err) {
        reject(
          validationProblem([
            { field: 'body', message: `not a multipart/form-data body: ${(err as Error).message}` },
          ]),
        );
        return;
      }
      const fields = new FormFields();
      let fieldBytes = 0;
      let sink: UploadSink | undefined;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        req.unpipe(bb);
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      const tooMany = () =>
        fail(
          validationProblem([
            { field: 'body', message: `at most ${MAX_FORM_FIELDS} form fields and one file part` },
          ]),
        );
      bb.on('field', (name, value, info) => {
        fieldBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
        if (info.nameTruncated || info.valueTruncated || fieldBytes > maxBody)
          return fail(payloadTooLarge(`The form fields exceed ${maxBody} bytes (VELLUM_MAX_BODY_BYTES).`));
        if (name === 'file')
          return fail(
            validationProblem([
              {
                field: 'file',
                message: 'send file as a file part (with a filename), e.g. curl -F file=@image.jpg',
              },
            ]),
          );
        fields.add(name, value);
      });
      bb.on('file', (name, stream) => {
        if (failed || name !== 'file' || sink) {
          stream.resume();
          return fail(
            validationProblem([
              {
                field: name,
                message:
                  name === 'file'
                    ? 'only one file part may be sent'
                    : `unknown file part "${name}" (the file part is named file)`,
              },
            ]),
          );
        }
        try {
          sink = open(fields.get('id'), fields.get('mediaType'));
        } catch (err) {
          stream.resume();
          return fail(err);
        }
        stream.pipe(sink.input);
        sink.received().catch(fail);
      });
      bb.on('filesLimit', () =>
        fail(validationProblem([{ field: 'file', message: 'only one file part may be sent' }])),
      );
      bb.on('fieldsLimit', tooMany);
      bb.on('partsLimit', tooMany);
      bb.on('error', (err: Error) =>
        fail(
          validationProblem([
            { field: 'body', message: `not a valid multipart/form-data body: ${err.message}` },
          ]),
        ),
      );
      bb.on('close', () => {
        if (failed) return;
        const done = sink ? sink.received() : Promise.resolve();
        done.then(() => {
          if (fields.errors.length) fail(validationProblem(fields.errors));
          else resolve(fields.body());
        }, fail);
      });
      req.pipe(bb);
    });
  }

  /** A JSON body left unread by the global parser: split, the file decoded into the sink, the rest parsed. */
  private async readJsonStream(
    req: Request,
    open: (id: unknown, contentType?: unknown) => UploadSink,
  ): Promise<Record<string, unknown>> {
    const maxBody = this.env.VELLUM_MAX_BODY_BYTES;
    const residual: Buffer[] = [];
    let residualBytes = 0;
    let sink: UploadSink | undefined;
    let decoder: Base64Decoder | undefined;
    const splitter = new JsonUploadSplitter({
      residual: (b) => {
        residualBytes += b.length;
        if (residualBytes > maxBody)
          throw payloadTooLarge(
            `The JSON members other than file exceed ${maxBody} bytes (VELLUM_MAX_BODY_BYTES).`,
          );
        residual.push(Buffer.from(b));
      },
      fileStart: () => {
        sink = open(splitter.id);
        decoder = new Base64Decoder();
        const target = sink;
        decoder.on('error', (err) => target.input.destroy(err));
        decoder.pipe(sink.input);
      },
      fileText: (text) => {
        decoder!.write(text);
      },
      fileEnd: () => {
        decoder!.end();
      },
    });
    await readChunks(req, async (chunk) => {
      splitter.write(chunk);
      if (sink?.failure) throw sink.failure;
      if (decoder?.writableNeedDrain && sink) await drained(decoder, sink);
    });
    splitter.end();
    if (sink) await sink.received();
    const buf = Buffer.concat(residual);
    verifyJsonBody(buf, charsetOf(req.headers['content-type']), this.env.VELLUM_MAX_JSON_DEPTH);
    let body: unknown;
    try {
      body = JSON.parse(buf.toString('utf8'));
    } catch {
      throw new ProblemException(
        problem(400, 'Malformed JSON', 'The request body is not valid JSON.', { type: 'malformed-json' }),
      );
    }
    const unstorable = findUnstorableStrings(body, '');
    if (unstorable.length) throw validationProblem(unstorable);
    if (!isObject(body)) return body as Record<string, unknown>; // the asset validation names the problem
    if (sink) delete body.file;
    else if ('file' in body) throw fileNotBase64();
    return body;
  }

  /** A small JSON body the global parser read, with a `file` member: decoded from memory into the sink. */
  private async readParsedJson(
    body: Record<string, unknown>,
    open: (id: unknown, contentType?: unknown) => UploadSink,
  ): Promise<Record<string, unknown>> {
    const { file, ...rest } = body;
    if (typeof file !== 'string') throw fileNotBase64();
    const sink = open(rest.id, rest.mediaType);
    const decoder = new Base64Decoder();
    decoder.on('error', (err) => sink.input.destroy(err));
    Readable.from([Buffer.from(file, 'utf8')])
      .pipe(decoder)
      .pipe(sink.input);
    await sink.received();
    return rest;
  }
}

/** How much of a refused upload's remaining body is read and discarded, bytes, before the connection is cut. */
const DISCARD_LIMIT = 16 * 1024 * 1024;

/**
 * After refusing an upload mid-body: reads and discards the rest (so the client, still sending, receives the
 * answer instead of a reset), up to {@link DISCARD_LIMIT} bytes; a longer rest is cut off by closing the
 * connection (announced with `Connection: close`).
 */
export function discardRest(req: Request, res: Response): void {
  req.unpipe();
  const declared = Number(req.headers['content-length']);
  if (!(declared <= DISCARD_LIMIT)) res.setHeader('Connection', 'close');
  let left = DISCARD_LIMIT;
  req.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) req.socket.destroy();
  });
  req.resume();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function fileNotBase64(): ProblemException {
  return validationProblem([{ field: 'file', message: 'file must be a string: the file, base64-encoded' }]);
}

/** The `charset` of a content type (default utf-8, as body-parser). */
function charsetOf(contentType: string | undefined): string {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m ? m[1] : 'utf-8';
}

/** Maps upload failures to problems (SPEC.md §3.1): too large 413, bad base64 400, store 503. */
export function toProblem(err: unknown): unknown {
  if (err instanceof ProblemException) return err;
  if (err instanceof UploadTooLargeError) return payloadTooLarge(err.message);
  if (err instanceof Base64Error || err instanceof SplitterError)
    return validationProblem([{ field: 'file', message: err.message }]);
  if (err instanceof UploadStoreError)
    return unavailable('The object store is not available for uploads; retry.');
  return err;
}

/**
 * Feeds each chunk of a request to `onChunk`, one at a time (the request paused meanwhile); resolves at its
 * end. Unlike `for await`, a failure leaves the request open so the error can still be answered on it.
 */
function readChunks(req: Request, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onError = (err: unknown) => {
      if (failed) return;
      failed = true;
      cleanup();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onAborted = () =>
      onError(validationProblem([{ field: 'body', message: 'the request was aborted' }]));
    const onEnd = () => {
      cleanup();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      req.pause();
      onChunk(chunk).then(() => {
        if (!failed) req.resume();
      }, onError);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('aborted', onAborted);
  });
}

/** Resolves when `decoder` can take more, rejects when the sink failed meanwhile. */
function drained(decoder: Base64Decoder, sink: UploadSink): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      sink.input.off('error', onFail);
      resolve();
    };
    const onFail = (err: Error) => {
      decoder.off('drain', onDrain);
      reject(err);
    };
    decoder.once('drain', onDrain);
    sink.input.once('error', onFail);
  });
}
