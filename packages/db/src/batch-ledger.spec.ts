import { isBatchComplete } from './batch-ledger';

describe('isBatchComplete', () => {
  it.each([
    // count, completed, errors, cancelled, complete?
    [3, 0, 0, 0, false],
    [3, 2, 0, 0, false],
    [3, 2, 1, 0, true],
    [3, 0, 3, 0, true],
    [3, 0, 0, 3, true],
    [3, 1, 1, 1, true],
    [3, 1, 0, 1, false],
    [5, 2, 0, 2, false],
    [0, 0, 0, 0, true],
    [2, 2, 1, 0, true], // more outcomes than count (never written by the ledger) still counts as complete
  ])(
    'count %d, completed %d, errors %d, cancelled %d → %s',
    (count, completed, errors, cancelled, expected) => {
      expect(isBatchComplete({ count, completed, errors, cancelled })).toBe(expected);
    },
  );
});
