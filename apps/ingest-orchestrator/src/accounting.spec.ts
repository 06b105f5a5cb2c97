import { crossedCompletion, isZeroDelta, storageDelta } from './accounting';

describe('crossedCompletion', () => {
  it.each([
    // after, added completed, added errors, crossed?
    [{ count: 3, completed: 1, errors: 0 }, 1, 0, false],
    [{ count: 3, completed: 2, errors: 1 }, 1, 0, true],
    [{ count: 3, completed: 2, errors: 1 }, 0, 1, true],
    [{ count: 3, completed: 3, errors: 1 }, 0, 1, false], // already complete before (over-count guard)
    [{ count: 1, completed: 1, errors: 0 }, 1, 0, true],
    [{ count: 2, completed: 0, errors: 2 }, 0, 2, true], // own error + superseded member in one transaction
    [{ count: 2, completed: 1, errors: 1 }, 0, 0, false],
  ])('%j +%d/+%d → %s', (after, c, e, expected) => {
    expect(crossedCompletion(after, c, e)).toBe(expected);
  });

  it('exactly one of N concurrent finalisations crosses', () => {
    const count = 5;
    let crossings = 0;
    let completed = 0;
    let errors = 0;
    for (let i = 0; i < count; i++) {
      if (i % 2 === 0) completed++;
      else errors++;
      if (crossedCompletion({ count, completed, errors }, i % 2 === 0 ? 1 : 0, i % 2 === 0 ? 0 : 1))
        crossings++;
    }
    expect(crossings).toBe(1);
  });
});

describe('storageDelta', () => {
  it('first ingest adds one stored image and all bytes', () => {
    expect(storageDelta(null, { size: 1000n, thumbnailSize: 50n })).toEqual({
      numberOfStoredImages: 1n,
      totalSizeOfStoredImages: 1000n,
      totalSizeOfThumbnails: 50n,
    });
  });

  it('a reingest adds only the difference (can be negative)', () => {
    expect(storageDelta({ size: 1000n, thumbnailSize: 50n }, { size: 800n, thumbnailSize: 70n })).toEqual({
      numberOfStoredImages: 0n,
      totalSizeOfStoredImages: -200n,
      totalSizeOfThumbnails: 20n,
    });
  });

  it('an identical reingest changes nothing', () => {
    const d = storageDelta({ size: 5n, thumbnailSize: 5n }, { size: 5n, thumbnailSize: 5n });
    expect(isZeroDelta(d)).toBe(true);
    expect(isZeroDelta(storageDelta(null, { size: 0n, thumbnailSize: 0n }))).toBe(false);
  });

  it('repeated reingests never drift', () => {
    let total = 0n;
    let prev: { size: bigint; thumbnailSize: bigint } | null = null;
    for (const size of [100n, 300n, 50n, 50n, 900n]) {
      const next = { size, thumbnailSize: 0n };
      total += storageDelta(prev, next).totalSizeOfStoredImages;
      prev = next;
    }
    expect(total).toBe(900n);
  });
});
