import {
  classifyHttpStatus,
  classifyOriginError,
  OriginTooLargeError,
  PermanentOriginError,
  redactUrl,
  RetryableOriginError,
} from './origin-errors';
import { SsrfRefusedError } from './ssrf-guard';

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('classifyHttpStatus', () => {
  it.each([200, 201, 203, 299])('%d is fine', (s) => expect(classifyHttpStatus(s, 'http://o/x')).toBeNull());
  it.each([404, 410, 403, 401, 400, 405, 406, 451])('%d is permanent', (s) => {
    const e = classifyHttpStatus(s, 'https://user:pw@o.example/x?token=secret')!;
    expect(e).toBeInstanceOf(PermanentOriginError);
    expect(e.message).toContain(`HTTP ${s}`);
    expect(e.message).not.toMatch(/pw|secret/);
  });
  it.each([500, 502, 503, 504, 429, 408, 425])('%d is retryable', (s) => {
    expect(classifyHttpStatus(s, 'http://o/x')).toBeInstanceOf(RetryableOriginError);
  });
  it('says what a 404 means', () => {
    expect(classifyHttpStatus(404, 'http://o.example/a.jpg')!.message).toBe(
      'Origin http://o.example/a.jpg answered HTTP 404 (not found)',
    );
  });
});

describe('classifyOriginError', () => {
  it.each([
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_SOCKET',
    'EPIPE',
  ])('%s is retryable', (code) => {
    const e = classifyOriginError(withCode(code));
    expect(e.permanent).toBe(false);
    expect(e.message).toContain(code);
  });

  it.each(['ENOTFOUND', 'ERR_INVALID_URL', 'CERT_HAS_EXPIRED'])('%s is permanent', (code) => {
    expect(classifyOriginError(withCode(code)).permanent).toBe(true);
  });

  it('looks into error causes (fetch-style wrapping)', () => {
    const wrapped = Object.assign(new TypeError('fetch failed'), { cause: withCode('ECONNREFUSED') });
    expect(classifyOriginError(wrapped)).toBeInstanceOf(RetryableOriginError);
  });

  it('keeps classified errors as they are', () => {
    const tooLarge = new OriginTooLargeError(10);
    expect(classifyOriginError(tooLarge)).toBe(tooLarge);
    expect(tooLarge.permanent).toBe(true);
    const ssrf = new SsrfRefusedError('h', '127.0.0.1', 'loopback');
    expect(classifyOriginError(ssrf).permanent).toBe(true);
  });

  it('treats unknown failures as retryable (bounded by the transport)', () => {
    expect(classifyOriginError(new Error('weird')).permanent).toBe(false);
    expect(classifyOriginError('string thrown').message).toBe('string thrown');
  });
});

describe('redactUrl', () => {
  it('drops credentials, query and fragment', () => {
    expect(redactUrl('https://u:p@h.example:8443/a/b.jpg?sig=1#x')).toBe('https://h.example:8443/a/b.jpg');
    expect(redactUrl('not a url')).toBe('(invalid URL)');
  });
});
