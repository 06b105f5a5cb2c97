import { generateApiKey, generateApiSecret, hashSecret, verifySecret } from './secret-hash';
import { parseBasic } from './api-key.service';

describe('secret hashing (SPEC.md §3.2)', () => {
  it('stores scrypt$N$r$p$salt$hash with a fresh salt each time', async () => {
    const a = await hashSecret('s3cret');
    const b = await hashSecret('s3cret');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
  });

  it('verifies the right secret and rejects others', async () => {
    const stored = await hashSecret('s3cret');
    await expect(verifySecret('s3cret', stored)).resolves.toBe(true);
    await expect(verifySecret('s3cret ', stored)).resolves.toBe(false);
    await expect(verifySecret('', stored)).resolves.toBe(false);
  });

  it('rejects malformed stored values without throwing', async () => {
    for (const stored of ['', 'plain', 'scrypt$x$8$1$aa$bb', 'bcrypt$1$2$3$4$5', 'scrypt$16384$8$1$aa$']) {
      await expect(verifySecret('s', stored)).resolves.toBe(false);
    }
  });

  it('generates UUID keys and 256-bit secrets', () => {
    expect(generateApiKey()).toMatch(/^[0-9a-f-]{36}$/);
    expect(generateApiSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateApiSecret()).not.toBe(generateApiSecret());
  });
});

describe('parseBasic', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('parses key:secret (secrets may contain colons)', () => {
    expect(parseBasic(`Basic ${b64('k:s:t')}`)).toEqual({ key: 'k', secret: 's:t' });
    expect(parseBasic(`basic ${b64('k:s')}`)).toEqual({ key: 'k', secret: 's' });
  });
  it.each([undefined, '', 'Bearer x', `Basic ${b64('nocolon')}`, `Basic ${b64(':s')}`, `Basic ${b64('k:')}`])(
    'rejects %p',
    (h) => {
      expect(parseBasic(h)).toBeNull();
    },
  );
});
