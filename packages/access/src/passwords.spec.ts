import { hashPassword, verifyPassword } from './passwords';

describe('passwords (scrypt, issue 10 contract)', () => {
  it('hashes in the contract format and verifies', async () => {
    const h = await hashPassword('correct horse');
    const parts = h.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(parts[4], 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5], 'base64')).toHaveLength(32);
    await expect(verifyPassword('correct horse', h)).resolves.toBe(true);
    await expect(verifyPassword('correct horse!', h)).resolves.toBe(false);
    await expect(verifyPassword('', h)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently', async () => {
    expect(await hashPassword('same-password')).not.toBe(await hashPassword('same-password'));
  });

  it('verifies a hash of other (lower) costs', async () => {
    const h = await hashPassword('pw123456');
    const [, , , , salt] = h.split('$');
    const { scryptSync } = await import('node:crypto');
    const key = scryptSync('pw123456', Buffer.from(salt, 'base64'), 32, { N: 1024, r: 8, p: 1 });
    await expect(
      verifyPassword('pw123456', `scrypt$1024$8$1$${salt}$${key.toString('base64')}`),
    ).resolves.toBe(true);
  });

  it.each([
    '',
    'plain',
    'scrypt$16384$8$1$abc',
    'bcrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16383$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$4194304$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16384$x$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16384$8$1$$',
  ])('refuses the malformed stored value %j', async (stored) => {
    await expect(verifyPassword('anything', stored)).resolves.toBe(false);
  });
});
