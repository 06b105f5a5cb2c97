import { AuthSigner, sessionCookieName } from '@vellum/access';
import { validateEnv } from '@vellum/common';
import { DeliveryEnv } from '../env';
import { CallerService } from './caller.service';

const KEY = 'c'.repeat(64);
const signer = AuthSigner.fromConfig({ key: KEY, production: true });
const claims = (over: Partial<{ sid: string; cid: number; roles: string[] }> = {}) => ({
  sid: 'sid-1',
  cid: 7,
  roles: ['staff'],
  svc: 'clickthrough',
  ...over,
});

function service(extra: Record<string, string> = {}): CallerService {
  const env = validateEnv(DeliveryEnv, {
    NODE_ENV: 'test',
    DATABASE_URL: 'postgresql://127.0.0.1/x',
    AMQP_URL: 'amqp://127.0.0.1',
    VELLUM_AUTH_SIGNING_KEY: KEY,
    ...extra,
  });
  return new CallerService(env);
}

describe('CallerService (SPEC.md §6: who is asking)', () => {
  it('reads the bearer access token, else the customer session cookie', async () => {
    const callers = service();
    const access = await signer.sign('access', claims(), 60);
    const session = await signer.sign('session', claims({ roles: ['reading-room'] }), 60);
    expect(await callers.callerOf({ authorization: `Bearer ${access}` }, 7)).toEqual({ roles: ['staff'] });
    expect(await callers.callerOf({ cookie: `a=b; ${sessionCookieName(7)}=${session}` }, 7)).toEqual({
      roles: ['reading-room'],
    });
    // Both: the token wins; an invalid token falls back to the cookie.
    const both = { authorization: `Bearer ${access}`, cookie: `${sessionCookieName(7)}=${session}` };
    expect(await callers.callerOf(both, 7)).toEqual({ roles: ['staff'] });
    expect(
      await callers.callerOf(
        { authorization: 'Bearer junk', cookie: `${sessionCookieName(7)}=${session}` },
        7,
      ),
    ).toEqual({ roles: ['reading-room'] });
    expect(await callers.callerOf({}, 7)).toBeUndefined();
  });

  it('a credential of another customer, of the wrong kind, expired or forged is none', async () => {
    const callers = service();
    const other = await signer.sign('access', claims({ cid: 8 }), 60);
    expect(await callers.callerOf({ authorization: `Bearer ${other}` }, 7)).toBeUndefined();
    const session = await signer.sign('session', claims(), 60);
    expect(await callers.callerOf({ authorization: `Bearer ${session}` }, 7)).toBeUndefined();
    const access = await signer.sign('access', claims(), 60);
    expect(await callers.callerOf({ cookie: `${sessionCookieName(7)}=${access}` }, 7)).toBeUndefined();
    // The cookie of customer 7 on an asset of customer 8: another name, not read.
    expect(await callers.callerOf({ cookie: `${sessionCookieName(7)}=${session}` }, 8)).toBeUndefined();
    const t0 = Date.now() - 120_000;
    const expired = await signer.sign('access', claims(), 60, t0);
    expect(await callers.callerOf({ authorization: `Bearer ${expired}` }, 7)).toBeUndefined();
    const forged = await AuthSigner.fromConfig({ key: 'd'.repeat(64), production: true }).sign(
      'access',
      claims(),
      60,
    );
    expect(await callers.callerOf({ authorization: `Bearer ${forged}` }, 7)).toBeUndefined();
  });

  it('verifies with previous keys during a rotation', async () => {
    const rotated = service({
      VELLUM_AUTH_SIGNING_KEY: 'e'.repeat(64),
      VELLUM_AUTH_SIGNING_PREVIOUS_KEYS: KEY,
    });
    const old = await signer.sign('access', claims(), 60);
    expect(await rotated.callerOf({ authorization: `Bearer ${old}` }, 7)).toEqual({ roles: ['staff'] });
  });

  it('refuses the credentials of an ended session until its expiry, then forgets it', async () => {
    const callers = service();
    const now = Date.now();
    const token = await signer.sign('access', claims({ sid: 'gone' }), 600, now);
    const headers = { authorization: `Bearer ${token}` };
    expect(await callers.callerOf(headers, 7, now)).toBeDefined();
    callers.revoke('gone', new Date(now + 60_000).toISOString(), now);
    expect(await callers.callerOf(headers, 7, now)).toBeUndefined();
    expect(
      await callers.callerOf({ authorization: `Bearer ${await signer.sign('access', claims(), 600)}` }, 7),
    ).toEqual({ roles: ['staff'] });
    expect(callers.isRevoked('gone', now + 60_001)).toBe(false);
    expect(callers.revokedCount).toBe(0);
    // An expiry already past, or unreadable, is nothing to remember.
    callers.revoke('old', new Date(now - 1).toISOString(), now);
    callers.revoke('bad', 'not a date', now);
    expect(callers.revokedCount).toBe(0);
  });

  it('needs a signing key in production', () => {
    expect(() =>
      validateEnv(DeliveryEnv, {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgresql://127.0.0.1/x',
        AMQP_URL: 'amqp://127.0.0.1',
      }),
    ).toThrow(/VELLUM_AUTH_SIGNING_KEY/);
    expect(() => service({ VELLUM_AUTH_SIGNING_KEY: 'short' })).toThrow(/VELLUM_AUTH_SIGNING_KEY/);
  });
});
