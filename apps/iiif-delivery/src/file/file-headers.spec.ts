import {
  FALLBACK_MEDIA_TYPE,
  fileContentType,
  inlineDisposition,
  isActiveContent,
  safetyHeaders,
} from './file-headers';

describe('fileContentType', () => {
  it.each([
    ['application/pdf', 'application/pdf'],
    ['audio/mpeg', 'audio/mpeg'],
    [' text/plain; charset=utf-8 ', 'text/plain; charset=utf-8'],
    [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    ['image/svg+xml', 'image/svg+xml'],
    ['', FALLBACK_MEDIA_TYPE],
    ['pdf', FALLBACK_MEDIA_TYPE],
    ['application/', FALLBACK_MEDIA_TYPE],
    ['/pdf', FALLBACK_MEDIA_TYPE],
    ['text/html\r\nSet-Cookie: a=b', FALLBACK_MEDIA_TYPE],
    ['text/plain; charset=utf-8\n', 'text/plain; charset=utf-8'],
    ['text/plain; x=\u0000', FALLBACK_MEDIA_TYPE],
    ['app lication/pdf', FALLBACK_MEDIA_TYPE],
  ])('%p → %p', (mediaType, expected) => {
    expect(fileContentType(mediaType)).toBe(expected);
  });

  it('an absent media type is octet-stream', () => {
    expect(fileContentType(null)).toBe(FALLBACK_MEDIA_TYPE);
    expect(fileContentType(undefined)).toBe(FALLBACK_MEDIA_TYPE);
  });
});

describe('isActiveContent / safetyHeaders', () => {
  it.each([
    ['text/html', true],
    ['Text/HTML; charset=utf-8', true],
    ['application/xhtml+xml', true],
    ['image/svg+xml', true],
    ['application/xml', true],
    ['text/xml', true],
    ['application/rss+xml', true],
    ['application/pdf', false],
    ['audio/mpeg', false],
    ['image/jpeg', false],
    ['text/plain', false],
    ['application/json', false],
  ])('%p active: %p', (type, active) => {
    expect(isActiveContent(type)).toBe(active);
    const headers = safetyHeaders(type);
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Content-Security-Policy']).toBe(active ? 'sandbox' : undefined);
  });
});

describe('inlineDisposition (RFC 6266)', () => {
  it.each([
    ['document.pdf', 'inline; filename="document.pdf"'],
    ["odd-id's_(1)+x;=", `inline; filename="odd-id's_(1)+x;="`],
    ['with space', 'inline; filename="with space"'],
    ['a"b', 'inline; filename="a\\"b"'],
    ['a\\b/c', 'inline; filename="a_b_c"'],
    ['café', `inline; filename="caf_"; filename*=UTF-8''caf%C3%A9`],
    ['日本.pdf', `inline; filename="__.pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf`],
    ['50%25', `inline; filename="50%25"; filename*=UTF-8''50%2525`],
    ['', 'inline; filename="file"'],
  ])('%p → %s', (id, expected) => {
    expect(inlineDisposition(id)).toBe(expected);
  });

  it('never yields a header value Node would refuse', () => {
    for (const id of ['\u0000x', 'a\r\nb', '\u{1F600}', 'x'.repeat(200)]) {
      const value = inlineDisposition(id);
      expect(value).toMatch(/^[\u0020-\u007e]+$/);
    }
  });
});
