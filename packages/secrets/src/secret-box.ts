import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encryption of secrets at rest (SPEC.md §10 "origin credentials encrypted at rest"; §3.3 origin strategy
 * `credentials` "stored encrypted"): AES-256-GCM with a 96-bit random IV and a 128-bit tag, in a self-describing
 * text form that survives key rotation:
 *
 *     v1.<key id>.<iv base64url>.<ciphertext+tag base64url>
 *
 * `<key id>` is the first 8 hex digits of SHA-256(key), so a box holding the current key and any previous keys
 * picks the right one without trial; new values are always sealed with the current key. An optional `context`
 * (e.g. `origin`) is bound as additional authenticated data, so a value sealed for one purpose cannot be opened
 * as another.
 */
export const SEALED_VERSION = 'v1';

/** A sealed value: `v1.<8 hex>.<base64url>.<base64url>` (only URL-unreserved characters). */
const SEALED = /^v1\.([0-9a-f]{8})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

/** The development-only key used when none is configured outside production (never use it for real secrets). */
export const DEVELOPMENT_KEY = createHash('sha256')
  .update('vellum development secrets key (not secret)')
  .digest();

/** Thrown when a key is malformed, a sealed value is malformed, its key is unknown, or it was tampered with. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/**
 * Parses a 256-bit key given as 64 hex digits or as base64/base64url (43–44 characters).
 * @throws SecretBoxError for anything else.
 */
export function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(t)
      ? Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
      : undefined;
  if (!key || key.length !== 32) {
    throw new SecretBoxError('a secrets key must be 32 bytes: 64 hex digits or 43/44 base64 characters');
  }
  return key;
}

/** The key id of a key: the first 8 hex digits of its SHA-256. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** True when `value` has the sealed form (it may still fail to open). */
export function isSealed(value: string): boolean {
  return SEALED.test(value);
}

/** Seals and opens secrets with a current key and, for values sealed before a rotation, previous keys. */
export class SecretBox {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  /**
   * @param current the key new values are sealed with (32 bytes).
   * @param previous keys that only open older values (rotation).
   */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const k of [current, ...previous]) {
      if (k.length !== 32) throw new SecretBoxError('a secrets key must be 32 bytes');
      this.keys.set(keyId(k), k);
    }
    this.current = { id: keyId(current), key: current };
  }

  /**
   * The box an app uses, from its environment: `key` (e.g. `VELLUM_SECRETS_KEY`) and optional comma-separated
   * `previousKeys` (`VELLUM_SECRETS_PREVIOUS_KEYS`). Without a key, {@link DEVELOPMENT_KEY} is used when
   * `nodeEnv` is `development` or `test`; in production a key is required.
   * @throws SecretBoxError for a missing key in production or a malformed key.
   */
  static fromConfig(opts: { key?: string; previousKeys?: string; nodeEnv?: string }): SecretBox {
    const previous = (opts.previousKeys ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(parseKey);
    if (opts.key) return new SecretBox(parseKey(opts.key), previous);
    if (opts.nodeEnv === 'development' || opts.nodeEnv === 'test')
      return new SecretBox(DEVELOPMENT_KEY, previous);
    throw new SecretBoxError('a secrets key is required outside development and test');
  }

  /** The id of the key new values are sealed with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** Encrypts `plaintext` (UTF-8) with the current key. @returns `v1.<kid>.<iv>.<ct+tag>`. */
  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [SEALED_VERSION, this.current.id, iv.toString('base64url'), ct.toString('base64url')].join('.');
  }

  /**
   * Decrypts a sealed value.
   * @throws SecretBoxError when it is malformed, sealed with a key this box does not hold, sealed for another
   *   `context`, or tampered with.
   */
  open(sealed: string, context = ''): string {
    const m = SEALED.exec(sealed);
    if (!m) throw new SecretBoxError('not a sealed value');
    const key = this.keys.get(m[1]);
    if (!key) throw new SecretBoxError(`sealed with unknown key ${m[1]} (configure it as a previous key)`);
    const iv = Buffer.from(m[2], 'base64url');
    const data = Buffer.from(m[3], 'base64url');
    if (data.length < 16) throw new SecretBoxError('not a sealed value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretBoxError('the sealed value does not authenticate (wrong key, context or tampered)');
    }
  }

  /** True when `sealed` was sealed with an older key: re-seal it with {@link seal} to finish a rotation. */
  needsRotation(sealed: string): boolean {
    const m = SEALED.exec(sealed);
    return !!m && m[1] !== this.current.id;
  }
}
