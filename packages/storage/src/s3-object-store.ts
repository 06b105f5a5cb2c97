import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'minio';
import type { S3StorageConfig } from './config';
import { ByteRange, ObjectInfo, ObjectNotFoundError, ObjectStore } from './object-store';
import { readAll } from './util';

/** Multipart part size for streams (S3 minimum 5 MiB): bounds memory to about one part per upload. */
const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
/** S3 DeleteObjects accepts at most 1000 keys per request. */
const DELETE_BATCH = 1000;

function errorCode(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code;
}

function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket';
}

/**
 * S3 driver over the `minio` client (MinIO, AWS S3, s3rver; path-style requests). Streams both ways; ranged
 * reads use `getPartialObject`; prefix deletes use batched `removeObjects`; lists use `listObjectsV2`.
 */
export class S3ObjectStore implements ObjectStore {
  readonly driver = 's3';
  /** The underlying client, for callers needing S3-only features (presigned URLs). */
  readonly client: Client;
  private readonly region: string;
  private readonly partSize: number;

  constructor(cfg: S3StorageConfig) {
    this.region = cfg.region ?? 'us-east-1';
    this.partSize = cfg.partSize ?? DEFAULT_PART_SIZE;
    this.client = new Client({
      endPoint: cfg.endPoint,
      port: cfg.port,
      useSSL: cfg.useSSL,
      accessKey: cfg.accessKey,
      secretKey: cfg.secretKey,
      region: this.region,
      pathStyle: true,
      partSize: this.partSize,
    });
  }

  async ensureBucket(bucket: string): Promise<void> {
    if (await this.client.bucketExists(bucket)) return;
    try {
      await this.client.makeBucket(bucket, this.region);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
      throw err;
    }
  }

  async put(
    bucket: string,
    key: string,
    body: Buffer | Readable,
    opts?: { contentType?: string },
  ): Promise<{ size: number }> {
    const meta: Record<string, string> = opts?.contentType ? { 'Content-Type': opts.contentType } : {};
    if (Buffer.isBuffer(body)) {
      await this.client.putObject(bucket, key, body, body.length, meta);
      return { size: body.length };
    }
    return this.putStream(bucket, key, body, meta);
  }

  async putFile(
    bucket: string,
    key: string,
    filePath: string,
    opts?: { contentType?: string },
  ): Promise<{ size: number }> {
    return this.put(bucket, key, createReadStream(filePath), opts);
  }

  /**
   * Streams an upload of unknown length: a body shorter than one part is one PUT; a longer one is a multipart
   * upload with parts of `partSize` bytes sent one after the other (memory bound: one part). Done here rather
   * than by `minio`'s `putObject`, whose stream path first lists incomplete uploads to resume one (an extra
   * request per upload that some S3-protocol servers, s3rver among them, do not implement).
   */
  private async putStream(
    bucket: string,
    key: string,
    body: Readable,
    meta: Record<string, string>,
  ): Promise<{ size: number }> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let size = 0;
    let uploadId: string | undefined;
    const etags: Array<{ part: number; etag: string }> = [];
    const takePart = (): Buffer => {
      const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      const part = all.subarray(0, this.partSize);
      const rest = all.subarray(this.partSize);
      pending = rest.length > 0 ? [Buffer.from(rest)] : [];
      pendingBytes = rest.length;
      return part;
    };
    const sendPart = async (part: Buffer): Promise<void> => {
      uploadId ??= await this.client.initiateNewMultipartUpload(bucket, key, meta);
      const partNumber = etags.length + 1;
      const res = await this.client.uploadPart(
        {
          bucketName: bucket,
          objectName: key,
          uploadID: uploadId,
          partNumber,
          headers: { 'Content-Length': part.length },
        },
        part,
      );
      etags.push({ part: partNumber, etag: res.etag });
    };
    try {
      for await (const chunk of body) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        pending.push(buf);
        pendingBytes += buf.length;
        size += buf.length;
        while (pendingBytes >= this.partSize) await sendPart(takePart());
      }
      if (uploadId === undefined) {
        const whole = Buffer.concat(pending, pendingBytes);
        await this.client.putObject(bucket, key, whole, whole.length, meta);
        return { size };
      }
      if (pendingBytes > 0) await sendPart(takePart());
      await this.client.completeMultipartUpload(bucket, key, uploadId, etags);
      return { size };
    } catch (err) {
      if (uploadId !== undefined)
        await this.client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
      body.destroy();
      throw err;
    }
  }

  async get(bucket: string, key: string, range?: ByteRange): Promise<Readable> {
    try {
      if (!range) return await this.client.getObject(bucket, key);
      const length = range.end === undefined ? 0 : range.end - range.start + 1;
      if (range.start === 0 && length === 0) return await this.client.getObject(bucket, key);
      return await this.client.getPartialObject(bucket, key, range.start, length);
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(bucket, key);
      throw err;
    }
  }

  async getBuffer(bucket: string, key: string): Promise<Buffer> {
    return readAll(await this.get(bucket, key));
  }

  async download(bucket: string, key: string, filePath: string): Promise<{ size: number }> {
    const src = await this.get(bucket, key);
    const tmp = `${filePath}.${randomBytes(6).toString('hex')}.part`;
    try {
      await pipeline(src, createWriteStream(tmp));
      await fsp.rename(tmp, filePath);
      return { size: (await fsp.stat(filePath)).size };
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | null> {
    try {
      const st = await this.client.statObject(bucket, key);
      const meta = st.metaData as Record<string, string | undefined>;
      return {
        size: st.size,
        etag: st.etag,
        lastModified: st.lastModified,
        contentType: meta['content-type'] ?? undefined,
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    try {
      await this.client.removeObject(bucket, key);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    let batch: string[] = [];
    let n = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const keys = batch;
      batch = [];
      const results = (await this.client.removeObjects(bucket, keys)) as Array<{
        Code?: string;
        Key?: string;
        Message?: string;
      }>;
      const failed = results.filter((r) => r && r.Code && r.Code !== 'NoSuchKey');
      if (failed.length > 0)
        throw new Error(`deletePrefix ${bucket}/${prefix}: ${failed[0].Code} on ${failed[0].Key}`);
      n += keys.length;
    };
    // Collect first, then delete: deleting while paging could skip keys on some servers.
    const all: string[] = [];
    for await (const entry of this.list(bucket, prefix)) all.push(entry.key);
    for (const key of all) {
      batch.push(key);
      if (batch.length >= DELETE_BATCH) await flush();
    }
    await flush();
    return n;
  }

  async *list(bucket: string, prefix: string): AsyncIterable<{ key: string; size: number }> {
    const stream = this.client.listObjectsV2(bucket, prefix, true);
    try {
      for await (const item of stream as AsyncIterable<{ name?: string; size: number; prefix?: string }>) {
        if (item.name !== undefined) yield { key: item.name, size: item.size };
      }
    } catch (err) {
      if (errorCode(err) === 'NoSuchBucket') return;
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.client.listBuckets();
  }
}
