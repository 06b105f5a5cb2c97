import {
  normaliseProjectionArgs,
  projectionArgsKey,
  projectionFingerprint,
  projectionNeedsBuild,
  projectionObjectKey,
} from './projections';

const member = (id: string, finished: number | null, roles: string[] = []) => ({
  customerId: 2,
  spaceId: 1,
  id,
  finished: finished === null ? null : new Date(finished),
  roles,
});

describe('projectionFingerprint', () => {
  const base = { template: 's1=p1', args: ['b1'], members: [member('a', 1000), member('b', 2000)] };
  const fp = projectionFingerprint(base);

  it('is a stable hex sha256', () => {
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(projectionFingerprint({ ...base, members: [member('a', 1000), member('b', 2000)] })).toBe(fp);
  });

  it.each([
    ['another template', { ...base, template: 's1=p1&n1=1' }],
    ['other arguments', { ...base, args: ['b2'] }],
    ['a member reingested', { ...base, members: [member('a', 1001), member('b', 2000)] }],
    ['a member added', { ...base, members: [member('a', 1000), member('b', 2000), member('c', 1)] }],
    ['a member removed', { ...base, members: [member('a', 1000)] }],
    ['the order changed', { ...base, members: [member('b', 2000), member('a', 1000)] }],
    ['roles changed', { ...base, members: [member('a', 1000, ['r']), member('b', 2000)] }],
    ['never finished', { ...base, members: [member('a', null), member('b', 2000)] }],
    ['another space', { ...base, members: [{ ...member('a', 1000), spaceId: 2 }, member('b', 2000)] }],
  ])('changes with %s', (_what, input) => {
    expect(projectionFingerprint(input)).not.toBe(fp);
  });

  it('ignores the order in which roles are listed', () => {
    const a = projectionFingerprint({ ...base, members: [member('a', 1, ['x', 'y'])] });
    expect(projectionFingerprint({ ...base, members: [member('a', 1, ['y', 'x'])] })).toBe(a);
  });

  it('cannot be forged by moving text between fields', () => {
    expect(projectionFingerprint({ template: 'a', args: ['b'], members: [] })).not.toBe(
      projectionFingerprint({ template: 'a","b', args: [], members: [] }),
    );
  });
});

describe('projectionNeedsBuild', () => {
  const timing = { buildTimeoutMs: 60_000, failedRetryMs: 10_000 };
  const now = new Date('2026-12-08T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const row = (
    status: 'in_process' | 'done' | 'failed',
    requestedMsAgo: number,
    fingerprint: string | null,
    requestedFingerprint: string | null = fingerprint,
  ) => ({ status, requested: ago(requestedMsAgo), fingerprint, requestedFingerprint });

  it.each([
    ['no record', null, 'missing'],
    ['done, same members', row('done', 999_999, 'F'), null],
    ['done, members changed', row('done', 1, 'OLD'), 'stale'],
    ['in process, recent', row('in_process', 59_000, null, 'F'), null],
    ['in process, members changed meanwhile', row('in_process', 1_000, 'OLD', 'OLD'), null],
    ['in process for longer than the build timeout', row('in_process', 60_001, null, 'F'), 'lost'],
    ['failed recently, same members', row('failed', 9_000, null, 'F'), null],
    ['failed long ago, same members', row('failed', 10_001, null, 'F'), 'retry-failed'],
    ['failed, members changed since', row('failed', 1, null, 'OLD'), 'changed-after-failure'],
  ] as const)('%s → %s', (_what, r, expected) => {
    expect(projectionNeedsBuild(r, 'F', now, timing)).toBe(expected);
  });
});

describe('keys', () => {
  it('keys arguments by their JSON and drops those beyond the arity', () => {
    expect(normaliseProjectionArgs(['a', 'b', 'c'], 2)).toEqual(['a', 'b']);
    expect(normaliseProjectionArgs(['a'], 3)).toEqual(['a']);
    expect(normaliseProjectionArgs(['a'], 0)).toEqual([]);
    expect(projectionArgsKey(['a/b', '5'])).toBe('["a/b","5"]');
    expect(projectionArgsKey([])).toBe('[]');
  });

  it('puts each build of a projection at its own key under the customer', () => {
    expect(projectionObjectKey(7, 'f4c1', 3, 'pdf')).toBe('7/named-queries/f4c1/3.pdf');
    expect(projectionObjectKey(7, 'f4c1', 1, 'zip')).toBe('7/named-queries/f4c1/1.zip');
  });
});
