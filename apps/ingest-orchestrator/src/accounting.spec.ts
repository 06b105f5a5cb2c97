import { isZeroDelta, storageDelta } from './accounting';

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
