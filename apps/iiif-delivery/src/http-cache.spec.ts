import { etagOf, isNotModified } from './http-cache';

describe('etagOf', () => {
  it('is a stable strong ETag that changes with any part', () => {
    expect(etagOf('a', 'b')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etagOf('a', 'b')).toBe(etagOf('a', 'b'));
    expect(etagOf('a', 'b')).not.toBe(etagOf('ab'));
  });
});

describe('isNotModified', () => {
  const etag = '"abc"';
  const lm = new Date('2024-05-01T10:00:00.500Z');
  it.each([
    [{ 'if-none-match': '"abc"' }, true],
    [{ 'if-none-match': 'W/"abc"' }, true],
    [{ 'if-none-match': '"x", "abc"' }, true],
    [{ 'if-none-match': '*' }, true],
    [{ 'if-none-match': '"x"' }, false],
    [{ 'if-none-match': '"x"', 'if-modified-since': 'Wed, 01 May 2024 10:00:00 GMT' }, false],
    [{ 'if-modified-since': 'Wed, 01 May 2024 10:00:00 GMT' }, true],
    [{ 'if-modified-since': 'Wed, 01 May 2024 09:59:59 GMT' }, false],
    [{ 'if-modified-since': 'not a date' }, false],
    [{}, false],
  ])('%j → %s', (headers, expected) => {
    expect(isNotModified(headers, etag, lm)).toBe(expected);
  });
});
