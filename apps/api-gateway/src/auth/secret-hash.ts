import { randomBytes, randomUUID, scrypt, timingSafeEqual, createHash } from 'node:crypto';

/**
 * API key secrets are stored only as a salted scrypt hash (SPEC.md §1 "API key", §10 Security), in the form
 * `scrypt$N$r$p$<salt base64url>$<hash base64url>`, so the cost parameters can be raised later without
 * invalidating existing keys.
 */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

function scryptAsync(
  secret: string,
  salt: Buffer,
  keyLength: number,
  N: number,
  r: number,
  p: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a secret with a fresh random salt. Returns `scrypt$N$r$p$salt$hash`. */
export async function hashSecret(secret: string): Promise<string> {
  const { N, r, p, keyLength, saltLength } = SCRYPT_PARAMS;
  const salt = randomBytes(saltLength);
  const hash = await scryptAsync(secret, salt, keyLength, N, r, p);
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * Verifies a secret against a stored `scrypt$...` hash in constant time.
 * Returns false (never throws) for a malformed stored value.
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map((v) => Number(v));
  if (![N, r, p].every((v) => Number.isInteger(v) && v > 0)) return false;
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length === 0) return false;
  try {
    const actual = await scryptAsync(secret, salt, expected.length, N, r, p);
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/** A new API key (the public half of `key:secret`): a UUID. */
export function generateApiKey(): string {
  return randomUUID();
}

/** A new API secret: 32 random bytes, base64url (43 characters). */
export function generateApiSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 digest of a secret, used only to compare against the in-memory verified-key cache. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
