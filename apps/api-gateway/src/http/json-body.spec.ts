import { ProblemException } from '@vellum/common';
import { verifyJsonBody } from './json-body';

describe('verifyJsonBody', () => {
  const statusOf = (buf: Buffer, encoding = 'utf-8', depth = 32): number | null => {
    try {
      verifyJsonBody(buf, encoding, depth);
      return null;
    } catch (e) {
      return (e as ProblemException).problem.status;
    }
  };
  it('accepts UTF-8 JSON within the depth', () => {
    expect(statusOf(Buffer.from('{"a":[{"b":"é😀"}]}'))).toBeNull();
    expect(statusOf(Buffer.from('{"a":"[[[[[["}'), 'utf-8', 2)).toBeNull();
  });
  it('415 for other charsets, BOMs and UTF-16 byte patterns', () => {
    expect(statusOf(Buffer.from('{}'), 'utf-16le')).toBe(415);
    expect(statusOf(Buffer.from('{}', 'utf16le'))).toBe(415);
    expect(statusOf(Buffer.from([0xfe, 0xff, 0, 0x7b]))).toBe(415);
  });
  it('400 for invalid UTF-8 and for nesting beyond the limit', () => {
    expect(statusOf(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).toBe(400);
    expect(statusOf(Buffer.from(`${'['.repeat(33)}${']'.repeat(33)}`))).toBe(400);
    expect(statusOf(Buffer.from(`${'['.repeat(32)}${']'.repeat(32)}`))).toBeNull();
  });
});
