import { BATCH_FIELDS, estimateCompletion } from './batch.fields';

describe('estimateCompletion', () => {
  const submitted = new Date('2026-01-01T00:00:00.000Z');
  const at = (s: number) => submitted.getTime() + s * 1000;
  it.each([
    // count, completed, errors, cancelled, finished, now (s after submission), estimate (s) or undefined
    [10, 0, 0, 0, false, 5, undefined], // nothing landed yet
    [10, 5, 0, 0, false, 10, 20],
    [10, 2, 2, 1, false, 10, 20], // every outcome counts as progress
    [10, 1, 0, 0, false, 4, 40],
    [4, 3, 1, 0, false, 8, undefined], // all landed
    [4, 1, 0, 3, true, 8, undefined], // finished
    [4, 2, 0, 0, true, 8, undefined], // finished (superseded members closed)
  ])(
    'count %d, %d/%d/%d, finished %s, at %ds → %s',
    (count, completed, errors, cancelled, finished, now, est) => {
      const got = estimateCompletion(
        { submitted, count, completed, errors, cancelled, finished: finished ? new Date(at(now)) : null },
        at(now),
      );
      expect(got?.getTime()).toBe(est === undefined ? undefined : at(est));
    },
  );
});

describe('BATCH_FIELDS', () => {
  it('has no writable fields: batches change only by submissions, outcomes, cancel and test', () => {
    expect(BATCH_FIELDS.writable).toEqual([]);
  });
  it('orders by the counters and dates, filters on the flags', () => {
    expect(BATCH_FIELDS.orderFields).toEqual([
      'id',
      'submitted',
      'count',
      'completed',
      'errors',
      'cancelled',
      'finished',
    ]);
    expect(BATCH_FIELDS.filterFields).toEqual(['superseded', 'priority']);
    expect(BATCH_FIELDS.filter({ superseded: 'true', q: '{"priority":false}' })).toEqual({
      superseded: true,
      priority: false,
    });
    expect(() => BATCH_FIELDS.filter({ q: '{"count":1}' })).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ field: 'q.count' })] }),
    );
  });
  it('breaks ties by ascending id and documents every rendered field', () => {
    expect(BATCH_FIELDS.orderBy('finished', true, [{ id: 'asc' }])).toEqual([
      { finished: 'desc' },
      { id: 'asc' },
    ]);
    expect(BATCH_FIELDS.orderBy(undefined, false, [{ id: 'asc' }])).toEqual([{ id: 'asc' }]);
    expect(Object.keys(BATCH_FIELDS.schema().properties ?? {})).toEqual([
      '@context',
      '@id',
      '@type',
      ...Object.keys(BATCH_FIELDS.fields),
    ]);
  });
});
