import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_KEY, isSealed, keyId, parseKey, SecretBox, SecretBoxError } from './secret-box';

describe('SecretBox (AES-256-GCM, v1 format)', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  it('seals to v1.<kid>.<iv>.<ct> and opens it again; every seal is different', () => {
    const a = box.seal('user:pässword', 'origin');
    const b = box.seal('user:pässword', 'origin');
    expect(a).toMatch(new RegExp(`^v1\\.${keyId(key)}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]+$`));
    expect(a).not.toBe(b);
    expect(a).not.toContain('user');
    expect(isSealed(a)).toBe(true);
    expect(box.open(a, 'origin')).toBe('user:pässword');
    expect(box.open(box.seal(''))).toBe('');
  });

  it('refuses another context, another key, tampering and junk', () => {
    const sealed = box.seal('secret', 'origin');
    expect(() => box.open(sealed, 'strategy')).toThrow(SecretBoxError);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'origin')).toThrow(/unknown key/);
    // Flip one bit of the ciphertext (not a base64 character: the last one may only carry padding bits).
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3], 'base64url');
    ct[0] ^= 0x01;
    const tampered = [...parts.slice(0, 3), ct.toString('base64url')].join('.');
    expect(() => box.open(tampered, 'origin')).toThrow(SecretBoxError);
    for (const junk of ['', 'v1', 'v2.00000000.aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbb', 'plain text'])
      expect(() => box.open(junk)).toThrow(SecretBoxError);
  });

  it('rotates: previous keys open old values, new values use the current key', () => {
    const old = new SecretBox(key);
    const sealedOld = old.seal('s', 'origin');
    const rotated = new SecretBox(randomBytes(32), [key]);
    expect(rotated.open(sealedOld, 'origin')).toBe('s');
    expect(rotated.needsRotation(sealedOld)).toBe(true);
    const resealed = rotated.seal(rotated.open(sealedOld, 'origin'), 'origin');
    expect(rotated.needsRotation(resealed)).toBe(false);
    expect(() => old.open(resealed, 'origin')).toThrow(/unknown key/);
  });

  it('parses keys from hex or base64 and configures from the environment', () => {
    expect(parseKey(key.toString('hex'))).toEqual(key);
    expect(parseKey(key.toString('base64'))).toEqual(key);
    expect(parseKey(key.toString('base64url'))).toEqual(key);
    for (const bad of ['', 'short', 'zz'.repeat(32), randomBytes(16).toString('hex')])
      expect(() => parseKey(bad)).toThrow(SecretBoxError);
    expect(SecretBox.fromConfig({ key: key.toString('base64'), nodeEnv: 'production' }).currentKeyId).toBe(
      keyId(key),
    );
    expect(SecretBox.fromConfig({ nodeEnv: 'test' }).currentKeyId).toBe(keyId(DEVELOPMENT_KEY));
    expect(() => SecretBox.fromConfig({ nodeEnv: 'production' })).toThrow(/required/);
    const prev = randomBytes(32);
    const withPrev = SecretBox.fromConfig({
      key: key.toString('hex'),
      previousKeys: ` ${prev.toString('hex')} ,`,
    });
    expect(withPrev.open(new SecretBox(prev).seal('x'))).toBe('x');
  });
});
