import { AuthThrottle } from './auth-throttle';

describe('AuthThrottle (failed authentication policy)', () => {
  const make = () => new AuthThrottle({ failuresPerAddress: 3, failuresPerKey: 5, windowSeconds: 60 });

  it('refuses an address after its failures, with Retry-After, and only that address', async () => {
    const t = make();
    for (let i = 0; i < 3; i++) expect((await t.reserve(`k${i}`, 'A')).refusal).toBeUndefined();
    const r = await t.reserve('k9', 'A');
    expect(r.refusal).toMatchObject({ scope: 'address' });
    expect(r.refusal!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(r.refusal!.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await t.reserve('k9', 'B')).refusal).toBeUndefined();
  });

  it('gives the points back on success, so valid uncached requests never count', async () => {
    const t = make();
    for (let i = 0; i < 20; i++) {
      const r = await t.reserve('good', 'A');
      expect(r.refusal).toBeUndefined();
      await t.succeeded('good', 'A', r.keyPoint);
    }
  });

  it('limits a key attacked from many addresses, but never for addresses known to use it', async () => {
    const t = make();
    const owner = await t.reserve('victim', 'owner');
    await t.succeeded('victim', 'owner', owner.keyPoint);
    for (let i = 0; i < 5; i++) expect((await t.reserve('victim', `attacker-${i}`)).refusal).toBeUndefined();
    expect((await t.reserve('victim', 'attacker-99')).refusal).toMatchObject({ scope: 'key' });
    // The owner's known address still gets its verification.
    expect((await t.reserve('victim', 'owner')).refusal).toBeUndefined();
    // A refused key point does not cost the address one.
    expect((await t.reserve('other', 'attacker-99')).refusal).toBeUndefined();
  });

  it('is off with 0 limits', async () => {
    const t = new AuthThrottle({ failuresPerAddress: 0, failuresPerKey: 0, windowSeconds: 60 });
    for (let i = 0; i < 50; i++) expect((await t.reserve('k', 'A')).refusal).toBeUndefined();
  });
});
