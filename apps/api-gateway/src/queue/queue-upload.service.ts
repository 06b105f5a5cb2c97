import { Inject, Injectable } from '@nestjs/common';
import { findUnstorableStrings, ProblemException } from '@vellum/common';
import type { Batch } from '@vellum/db';
import {
  OBJECT_STORE,
  originKey,
  storeOriginUri,
  type ObjectStore,
  type VellumBuckets,
} from '@vellum/storage';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { GATEWAY_ENV, type GatewayEnv } from '../config/gateway-env';
import type { FieldError } from '../http/hydra';
import { verifyJsonBody } from '../http/json-body';
import { payloadTooLarge, validationProblem } from '../http/problems';
import { assetIdProblem } from '../assets/asset-id';
import { discardRest, toProblem } from '../assets/upload/upload.service';
import { GATEWAY_BUCKETS } from '../assets/upload/upload-store';
import { UploadSink, UploadStoreError, UploadTooLargeError } from '../assets/upload/upload-sink';
import { MAX_BATCH_MEMBERS, QueueService, type BatchFiles, type ValidatedBatch } from './queue.service';

/** The form field holding the batch (a JSON Hydra Collection) in a multipart `POST C/queue`. */
export const BATCH_PART = 'batch';

/** A file part named by a member (`"file": "<part name>"`). */
interface PlannedPart {
  /** Index of the member naming it. */
  index: number;
  /** Where the file goes: the member asset's `originKey` in the origins bucket. */
  key?: string;
  /** The member's mediaType (the stored object's content type), if it gave one. */
  mediaType?: string;
  sink?: UploadSink;
}

/**
 * Multipart queue submissions (SPEC.md §3.3 "Queue and batches" with §3.3 uploads; docs/api/queue.md): one
 * `multipart/form-data` request carries a batch and the files of its members, so each file is ingested once,
 * through the queue.
 *
 * Form: first a field named `batch` holding the usual Hydra Collection (≤ 500 members), whose members may give
 * `"file": "<part name>"` instead of an `origin`; then one file part per such member, named as the member says.
 * The batch is validated whole (as a JSON submission, every problem by member index) as soon as its field is read,
 * before any file byte is stored. Each file then streams into the origins bucket at its asset's `originKey`
 * exactly as a single upload (≤ `VELLUM_MAX_UPLOAD_BYTES` each, content type the member's mediaType), held back
 * uncommitted; once the whole request is read the storage quota is checked with the files' bytes, the files are
 * committed and the batch written (its assets' origin `vellum-store://{bucket}/{key}`, ingested by the
 * orchestrator from the queue). On any failure nothing is kept: uncommitted files are dropped, committed ones
 * deleted.
 *
 * Errors: 400 (no or malformed `batch` field, `batch` not first, an unknown form field, a file part no member
 * names or named twice, a member's part missing or empty, `file` with `origin`, and every member problem), 413 (a
 * part over its limit, named in the detail), 503 (object store), 507 (quota).
 */
@Injectable()
export class QueueUploadService {
  private bucketReady: Promise<void> | undefined;

  constructor(
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(GATEWAY_BUCKETS) private readonly buckets: VellumBuckets,
    private readonly queue: QueueService,
  ) {}

  /**
   * Reads a multipart queue submission and accepts its batch.
   * @param priority true for `C/queue/priority`.
   * @returns the created batch.
   * @throws problems as the class says; the rest of a refused request is discarded (or the connection closed).
   */
  async submit(req: Request, res: Response, customerId: number, priority: boolean): Promise<Batch> {
    const parts = new Map<string, PlannedPart>();
    const sinks = (): UploadSink[] => [...parts.values()].flatMap((p) => (p.sink ? [p.sink] : []));
    let committed = false;
    try {
      await this.ensureBucket();
      const validated = await this.read(req, customerId, priority, parts);
      const files: BatchFiles = {
        bytes: sinks().reduce((n, s) => n + s.bytes, 0),
        commit: async () => {
          committed = true;
          await Promise.all(sinks().map((s) => s.commit()));
        },
        rollback: () => this.remove(parts),
      };
      return await this.queue.accept(customerId, validated, files);
    } catch (err) {
      await Promise.all(sinks().map((s) => s.abort()));
      if (committed) await this.remove(parts);
      if (!req.complete) discardRest(req, res);
      throw toProblem(err);
    }
  }

  /** Reads the form: the batch (validated at once), then the file parts into held-back sinks. */
  private read(
    req: Request,
    customerId: number,
    priority: boolean,
    parts: Map<string, PlannedPart>,
  ): Promise<ValidatedBatch> {
    const maxBody = this.env.VELLUM_MAX_BODY_BYTES;
    const maxUpload = this.env.VELLUM_MAX_UPLOAD_BYTES;
    return new Promise((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers: req.headers,
          defParamCharset: 'utf8',
          limits: {
            fieldSize: maxBody,
            fieldNameSize: 200,
            fields: 10,
            files: MAX_BATCH_MEMBERS,
            parts: MAX_BATCH_MEMBERS + 1,
          },
        });
      } catch (err) {
        reject(badForm(`not a multipart/form-data body: ${(err as Error).message}`));
        return;
      }
      let failed = false;
      let validated: Promise<ValidatedBatch> | undefined;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        req.unpipe(bb);
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      bb.on('field', (name, value, info) => {
        if (failed) return;
        if (name !== BATCH_PART)
          return fail(
            validationProblem([
              { field: name, message: `unknown form field "${name}": the only field is ${BATCH_PART}` },
            ]),
          );
        if (validated)
          return fail(
            validationProblem([{ field: BATCH_PART, message: `only one ${BATCH_PART} field may be sent` }]),
          );
        if (info.valueTruncated)
          return fail(
            payloadTooLarge(`The ${BATCH_PART} field exceeds ${maxBody} bytes (VELLUM_MAX_BODY_BYTES).`),
          );
        let body: unknown;
        try {
          verifyJsonBody(Buffer.from(value, 'utf8'), 'utf-8', this.env.VELLUM_MAX_JSON_DEPTH);
          body = JSON.parse(value);
        } catch (err) {
          if (err instanceof ProblemException) return fail(err);
          return fail(
            validationProblem([{ field: BATCH_PART, message: `the ${BATCH_PART} field is not valid JSON` }]),
          );
        }
        const unstorable = findUnstorableStrings(body, '');
        if (unstorable.length) return fail(validationProblem(unstorable));
        validated = this.queue.validate(customerId, body, priority, {
          pre: (members) => plan(members, parts),
          origin: (i, spaceId, id) => {
            const part = byIndex(parts).get(i);
            if (!part) return undefined;
            part.key = originKey({ customerId, spaceId, assetId: id });
            return storeOriginUri(this.buckets.origins, part.key);
          },
        });
        validated.catch(fail);
      });
      bb.on('file', (name, stream, info) => {
        const refuse = (err: unknown) => {
          stream.resume();
          fail(err);
        };
        if (failed) return void stream.resume();
        if (!validated)
          return refuse(
            validationProblem([
              { field: BATCH_PART, message: `the ${BATCH_PART} field must come before the file parts` },
            ]),
          );
        // The batch is validated before any byte of a file is stored (the stream waits meanwhile).
        validated.then(() => {
          if (failed) return void stream.resume();
          const part = parts.get(name);
          if (!part)
            return refuse(
              validationProblem([
                { field: name, message: `file part "${name}" is not named by any member's file` },
              ]),
            );
          if (part.sink)
            return refuse(
              validationProblem([{ field: name, message: `file part "${name}" was sent twice` }]),
            );
          const sink = new UploadSink(
            this.store,
            this.buckets.origins,
            part.key!,
            maxUpload,
            part.mediaType ?? info.mimeType,
          );
          part.sink = sink;
          stream.pipe(sink.input);
          sink
            .received()
            .catch((err: unknown) =>
              fail(
                err instanceof UploadTooLargeError
                  ? payloadTooLarge(
                      `File part "${name}" (member[${part.index}]) is larger than the limit of ${maxUpload} bytes (VELLUM_MAX_UPLOAD_BYTES).`,
                    )
                  : err,
              ),
            );
        }, refuse);
      });
      const tooMany = () =>
        fail(badForm(`at most one ${BATCH_PART} field and ${MAX_BATCH_MEMBERS} file parts`));
      bb.on('fieldsLimit', tooMany);
      bb.on('filesLimit', tooMany);
      bb.on('partsLimit', tooMany);
      bb.on('error', (err: Error) => fail(badForm(`not a valid multipart/form-data body: ${err.message}`)));
      bb.on('close', () => {
        if (failed) return;
        if (!validated)
          return fail(
            validationProblem([
              { field: BATCH_PART, message: `a ${BATCH_PART} field (the JSON Hydra Collection) is required` },
            ]),
          );
        validated
          .then(async (v) => {
            await Promise.all([...parts.values()].flatMap((p) => (p.sink ? [p.sink.received()] : [])));
            const errors: FieldError[] = [];
            for (const [name, p] of parts) {
              if (!p.sink)
                errors.push({ field: `member[${p.index}].file`, message: `file part "${name}" is missing` });
              else if (p.sink.bytes === 0)
                errors.push({ field: `member[${p.index}].file`, message: `file part "${name}" is empty` });
            }
            if (errors.length) throw validationProblem(errors);
            if (!failed) resolve(v);
          })
          .catch(fail);
      });
      req.pipe(bb);
    });
  }

  /** Deletes the files of the parts from the store (after a commit whose batch was not written). */
  private async remove(parts: Map<string, PlannedPart>): Promise<void> {
    await Promise.all(
      [...parts.values()].flatMap((p) =>
        p.sink && p.key ? [this.store.delete(this.buckets.origins, p.key).catch(() => undefined)] : [],
      ),
    );
  }

  private async ensureBucket(): Promise<void> {
    this.bucketReady ??= this.store.ensureBucket(this.buckets.origins).catch((err: unknown) => {
      this.bucketReady = undefined;
      throw new UploadStoreError(err);
    });
    await this.bucketReady;
  }
}

/**
 * Takes `file` out of each member, recording the part it names (with the member's mediaType).
 * @returns the problems: `file` not a part name, named twice, given with an `origin`.
 */
function plan(members: unknown[], parts: Map<string, PlannedPart>): FieldError[] {
  const errors: FieldError[] = [];
  members.forEach((m, index) => {
    if (!m || typeof m !== 'object' || Array.isArray(m) || !('file' in m)) return;
    const member = m as Record<string, unknown>;
    const { file } = member;
    delete member.file;
    const field = `member[${index}].file`;
    if (typeof file !== 'string' || file === '' || file === BATCH_PART) {
      errors.push({ field, message: `file must name a file part of the form (not "${BATCH_PART}")` });
      return;
    }
    const other = parts.get(file);
    if (other) {
      errors.push({ field, message: `file part "${file}" is already named by member[${other.index}]` });
      return;
    }
    if (member.origin !== undefined && member.origin !== null && member.origin !== '')
      errors.push({ field: `member[${index}].origin`, message: 'give an origin or a file, not both' });
    delete member.origin;
    if (typeof member.id === 'string' && assetIdProblem(member.id)) return; // reported by the member checks
    parts.set(file, {
      index,
      mediaType: typeof member.mediaType === 'string' ? member.mediaType : undefined,
    });
  });
  return errors;
}

const indexes = new WeakMap<Map<string, PlannedPart>, Map<number, PlannedPart>>();
/** The planned parts by member index (built once, after {@link plan}). */
function byIndex(parts: Map<string, PlannedPart>): Map<number, PlannedPart> {
  let m = indexes.get(parts);
  if (!m) {
    m = new Map([...parts.values()].map((p) => [p.index, p]));
    indexes.set(parts, m);
  }
  return m;
}

function badForm(message: string) {
  return validationProblem([{ field: 'body', message }]);
}
