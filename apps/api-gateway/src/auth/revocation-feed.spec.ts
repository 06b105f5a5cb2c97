import { RevocationFeed, RevocationLog, trustedWithoutRecheck } from './revocation-feed';

describe('trustedWithoutRecheck (a deleted key stops working on every replica)', () => {
  const R = 5000;
  it.each([
    // [checkedAt, now, liveSince, trusted, why]
    [1000, 900_000, 500, true, 'checked after the queue was bound: any later deletion is heard'],
    [1000, 900_000, 1000, true, 'checked the moment it was bound'],
    [1000, 3000, 2000, true, 'checked before a gap, but less than recheckMs ago'],
    [1000, 6000, 2000, false, 'checked before a gap (an event may be lost) and recheckMs ago'],
    [1000, 5999, undefined, true, 'bus down: trusted for less than recheckMs'],
    [1000, 6000, undefined, false, 'bus down: re-checked after recheckMs'],
    [1000, 1_000_000, undefined, false, 'bus down for long'],
  ] as [number, number, number | undefined, boolean, string][])(
    'checkedAt %p, now %p, liveSince %p → %p (%s)',
    (checkedAt, now, liveSince, trusted) => {
      expect(trustedWithoutRecheck(checkedAt, now, liveSince, R)).toBe(trusted);
    },
  );

  it('RevocationFeed re-checks everything until a transport is attached, then follows it', () => {
    const feed = new RevocationFeed({ VELLUM_AUTH_RECHECK_MS: R });
    expect(feed.trusts(1000, 1000 + R)).toBe(false);
    let since: number | undefined = 500;
    feed.attach(() => since);
    expect(feed.trusts(1000, 1000 + R)).toBe(true);
    since = undefined;
    expect(feed.trusts(1000, 1000 + R)).toBe(false);
  });
});

describe('RevocationLog', () => {
  it('tells whether a name was revoked at or after a time, and forgets old entries past its bound', () => {
    const log = new RevocationLog(1000, 2);
    log.record('a', 100);
    expect(log.revokedSince('a', 100)).toBe(true);
    expect(log.revokedSince('a', 101)).toBe(false);
    expect(log.revokedSince('b', 0)).toBe(false);
    log.record('b', 200);
    log.record('c', 5000);
    expect(log.revokedSince('a', 0)).toBe(false);
    expect(log.revokedSince('b', 0)).toBe(false);
    expect(log.revokedSince('c', 0)).toBe(true);
  });
});
