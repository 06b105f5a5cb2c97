import { Transform, type TransformCallback } from 'node:stream';

/** Thrown (as the stream's error) when the text is not base64. `field` names what carried it. */
export class Base64Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Base64Error';
  }
}

/** 0–63 for the characters of the standard base64 alphabet (RFC 4648 §4), -1 for whitespace, -2 otherwise. */
const VALUE = new Int8Array(256).fill(-2);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  .split('')
  .forEach((c, i) => (VALUE[c.charCodeAt(0)] = i));
for (const c of [' ', '\t', '\r', '\n']) VALUE[c.charCodeAt(0)] = -1;
const PAD = '='.charCodeAt(0);

/**
 * A streaming, strict base64 decoder (RFC 4648 §4, the standard alphabet): text in, bytes out, a few bytes of state
 * between chunks, so a file of any size is decoded without holding it (SPEC.md §3.3 uploads). ASCII whitespace
 * (line breaks of MIME-style base64) is skipped; padding is optional but, when present, ends the data.
 * Anything else (another alphabet, a character after the padding, a length that cannot be base64) fails the
 * stream with a {@link Base64Error}.
 */
export class Base64Decoder extends Transform {
  /** Sextets of the current, incomplete quantum. */
  private readonly quantum = [0, 0, 0, 0];
  private filled = 0;
  /** `=` characters of the final quantum seen so far. */
  private padded = 0;
  /** The padded final quantum was decoded: only whitespace may follow. */
  private done = false;
  /** Characters consumed (for error messages). */
  private position = 0;

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, callback: TransformCallback): void {
    const text = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    const out = Buffer.allocUnsafe(Math.ceil(text.length / 4) * 3 + 3);
    let n = 0;
    for (let i = 0; i < text.length; i++, this.position++) {
      const c = text[i];
      const v = VALUE[c];
      if (v === -1) continue;
      if (c === PAD) {
        if (this.done || this.filled < 2 || this.filled + this.padded >= 4)
          return callback(this.bad(`misplaced "=" at character ${this.position}`));
        this.padded++;
        if (this.filled + this.padded === 4) {
          n += this.tail(out, n);
          this.done = true;
        }
        continue;
      }
      if (v === -2) return callback(this.bad(`unexpected character at ${this.position}`));
      if (this.padded || this.done)
        return callback(this.bad(`data after the "=" padding at character ${this.position}`));
      this.quantum[this.filled++] = v;
      if (this.filled === 4) {
        const [a, b, cc, d] = this.quantum;
        out[n++] = (a << 2) | (b >> 4);
        out[n++] = ((b & 15) << 4) | (cc >> 2);
        out[n++] = ((cc & 3) << 6) | d;
        this.filled = 0;
      }
    }
    callback(null, n ? out.subarray(0, n) : undefined);
  }

  override _flush(callback: TransformCallback): void {
    if (this.done) return callback();
    if (this.padded) return callback(this.bad('incomplete "=" padding'));
    if (this.filled === 1) return callback(this.bad('the text ends in the middle of a byte'));
    const out = Buffer.alloc(2);
    const n = this.tail(out, 0);
    callback(null, n ? out.subarray(0, n) : undefined);
  }

  /** Writes the 1 or 2 bytes of a final quantum of 2 or 3 sextets at `out[at]`; returns how many. */
  private tail(out: Buffer, at: number): number {
    const [a, b, c] = this.quantum;
    let n = 0;
    if (this.filled >= 2) out[at + n++] = (a << 2) | (b >> 4);
    if (this.filled === 3) out[at + n++] = ((b & 15) << 4) | (c >> 2);
    this.filled = 0;
    return n;
  }

  private bad(why: string): Base64Error {
    return new Base64Error(`file is not valid base64: ${why}`);
  }
}
