import { quotaBreach, type QuotaLimits } from './quota';

const limits: QuotaLimits = {
  id: 'small',
  maximumNumberOfStoredImages: 10n,
  maximumTotalSizeOfStoredImages: 1000n,
};

describe('quotaBreach', () => {
  it.each([
    // [images held, bytes held, new assets, new bytes, breach?]
    [0n, 0n, 0, undefined, null],
    [10n, 1000n, 0, undefined, null], // nothing added: a full customer may still update
    [9n, 0n, 1, undefined, null],
    [10n, 0n, 1, undefined, /allows 10 stored images; the customer holds 10 and this request adds 1/],
    [5n, 0n, 6, undefined, /adds 6/],
    [5n, 0n, 5, undefined, null],
    [0n, 999n, 1, undefined, null], // unknown size, not full yet
    [0n, 1000n, 1, undefined, /allows 1000 bytes of stored images and the customer holds 1000/],
    [0n, 900n, 1, 100, null],
    [0n, 900n, 1, 101, /allows 1000 bytes .* holds 900 and this request adds 101/],
    [0n, 900n, 0, 101, /adds 101/], // a replaced upload adds bytes, no asset
    [0n, 1000n, 0, 0, null],
  ] as const)('images %s, bytes %s, +%s assets, +%s bytes', (images, bytes, n, b, expected) => {
    const breach = quotaBreach(limits, { images, bytes }, n, b);
    if (expected === null) expect(breach).toBeNull();
    else expect(breach).toMatch(expected);
  });
});
