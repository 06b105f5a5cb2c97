import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters of new hashes (issue 10 contract: N=16384, r=8, p=1). */
export const PASSWORD_SCRYPT = { N: 16384, r: 8, p: 1 } as const;
/** Derived key length (bytes). */
export const PASSWORD_KEY_BYTES = 32;
/** Salt length (bytes). */
export const PASSWORD_SALT_BYTES = 16;
/** Largest cost accepted when verifying a stored hash (bounds the CPU and memory a bad row can cost). */
const MAX_N = 1 << 20;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(
      password,
      salt,
      keylen,
      { ...options, maxmem: 256 * options.N! * options.r! + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/**
 * Hashes a built-in user's password (SPEC.md §3.3 `C/users`) as `scrypt$N$r$p$<salt base64>$<hash base64>`:
 * scrypt N=16384 r=8 p=1, a random 16-byte salt, a 32-byte key.
 * @param password the plain password (any string; the API requires ≥ 8 characters).
 * @returns the stored form (≈ 90 characters).
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(PASSWORD_SALT_BYTES);
  const { N, r, p } = PASSWORD_SCRYPT;
  const key = await scrypt(password, salt, PASSWORD_KEY_BYTES, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * True when `password` matches a hash made by {@link hashPassword} (its own N, r, p and key length are used, so
 * hashes of other costs still verify). The comparison is timing-safe. A malformed `stored` value gives false,
 * never an exception.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = typeof stored === 'string' ? stored.split('$') : [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,8}$/.test(x) ? Number(x) : NaN));
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0) || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16))
    return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (salt.length < 8 || expected.length < 16 || expected.length > 128) return false;
  try {
    const key = await scrypt(String(password), salt, expected.length, { N, r, p });
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}
