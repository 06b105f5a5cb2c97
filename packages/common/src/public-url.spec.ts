import 'reflect-metadata';
import { IsOptional } from 'class-validator';
import { EnvValidationError, validateEnv } from './env';
import {
  formatHost,
  IsTrustedProxies,
  parseHost,
  publicBaseUrl,
  requestOrigin,
  type RequestLike,
  trustedProxies,
} from './public-url';

function req(
  headers: Record<string, string | string[]>,
  socket: Partial<RequestLike['socket']> = {},
): RequestLike {
  return {
    headers,
    socket: { remoteAddress: '127.0.0.1', localAddress: '127.0.0.1', localPort: 3001, ...socket },
  };
}

describe('trustedProxies (VELLUM_TRUSTED_PROXIES, proxy-addr)', () => {
  it.each([
    ['loopback', '127.0.0.1', true],
    ['loopback', '127.1.2.3', true],
    ['loopback', '::1', true],
    ['loopback', '::ffff:127.0.0.1', true],
    ['loopback', '10.0.0.1', false],
    ['loopback', '192.0.2.7', false],
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/255.0.0.0', '10.9.9.9', true],
    ['192.0.2.7', '192.0.2.7', true],
    ['192.0.2.7', '192.0.2.8', false],
    ['loopback, uniquelocal', '192.168.1.20', true],
    ['linklocal', 'fe80::1', true],
    ['fd00::/8', 'fd12::5', true],
    ['none', '127.0.0.1', false],
    [' none ', '::1', false],
  ])('%s trusts %s: %s', (spec, address, expected) => {
    expect(trustedProxies(spec)(address, 0)).toBe(expected);
  });

  it.each(['localhost', '10.0.0.0/33', 'not-an-ip', '1.2.3.4, nonsense', 'none, loopback'])(
    'rejects %s',
    (spec) => {
      expect(() => trustedProxies(spec)).toThrow(TypeError);
    },
  );

  class Env {
    @IsOptional()
    @IsTrustedProxies()
    VELLUM_TRUSTED_PROXIES?: string;
  }

  it('validates the env variable and names it', () => {
    expect(validateEnv(Env, { VELLUM_TRUSTED_PROXIES: 'loopback,10.0.0.0/8' }).VELLUM_TRUSTED_PROXIES).toBe(
      'loopback,10.0.0.0/8',
    );
    expect(() => validateEnv(Env, { VELLUM_TRUSTED_PROXIES: 'loopback,bogus' })).toThrow(EnvValidationError);
    expect(() => validateEnv(Env, { VELLUM_TRUSTED_PROXIES: 'loopback,bogus' })).toThrow(
      /VELLUM_TRUSTED_PROXIES must be a comma-separated list .*bogus/,
    );
  });
});

describe('parseHost', () => {
  it.each([
    ['127.0.0.1:3001', { hostname: '127.0.0.1', port: 3001 }],
    ['localhost:3001', { hostname: 'localhost', port: 3001 }],
    ['Example.ORG', { hostname: 'example.org', port: undefined }],
    ['iiif_delivery:8080', { hostname: 'iiif_delivery', port: 8080 }],
    ['[::1]:3001', { hostname: '::1', port: 3001 }],
    ['[2001:db8::7]', { hostname: '2001:db8::7', port: undefined }],
  ])('%s → %j', (value, expected) => {
    expect(parseHost(value)).toEqual(expected);
  });

  it.each([
    '',
    'evil.example/path',
    'evil.example?x',
    'user@evil.example',
    'a b',
    '"quoted"',
    '<script>',
    'example.org:',
    'example.org:0',
    'example.org:65536',
    'example.org:80:80',
    'a..b',
    '.example.org',
    '::1',
    '[::1',
    '[not-v6]:80',
    'x'.repeat(254),
    'h\u0000st',
  ])('rejects %j', (value) => {
    expect(parseHost(value)).toBeUndefined();
  });

  it('formats hosts for URLs', () => {
    expect(formatHost('::1', 3001)).toBe('[::1]:3001');
    expect(formatHost('example.org')).toBe('example.org');
  });
});

describe('requestOrigin', () => {
  const loopback = trustedProxies('loopback');
  const none = trustedProxies('none');

  it('uses the Host header and the socket scheme', () => {
    expect(requestOrigin(req({ host: '127.0.0.1:3001' }), none)).toMatchObject({
      origin: 'http://127.0.0.1:3001',
      forwarded: false,
    });
    expect(requestOrigin(req({ host: 'localhost:3001' }), none).origin).toBe('http://localhost:3001');
    expect(requestOrigin(req({ host: 'iiif.example.org' }, { encrypted: true }), none).origin).toBe(
      'https://iiif.example.org',
    );
  });

  it('falls back to the listening address for a missing or malformed Host', () => {
    expect(requestOrigin(req({}), none).origin).toBe('http://127.0.0.1:3001');
    expect(requestOrigin(req({ host: 'evil.example/<x>' }), none).origin).toBe('http://127.0.0.1:3001');
    expect(
      requestOrigin(req({ host: 'bad host' }, { localAddress: '::ffff:10.1.2.3', localPort: 8080 }), none)
        .origin,
    ).toBe('http://10.1.2.3:8080');
    expect(requestOrigin(req({ host: '' }, { localAddress: '::1', localPort: 3001 }), none).origin).toBe(
      'http://[::1]:3001',
    );
  });

  const forwardedHeaders = {
    host: '127.0.0.1:3001',
    'x-forwarded-host': 'iiif.example.org',
    'x-forwarded-proto': 'https',
  };

  it('honours X-Forwarded-Host/-Proto from a trusted peer', () => {
    expect(requestOrigin(req(forwardedHeaders), loopback)).toMatchObject({
      protocol: 'https',
      hostname: 'iiif.example.org',
      origin: 'https://iiif.example.org',
      forwarded: true,
    });
    expect(requestOrigin(req({ 'x-forwarded-host': 'a.example:8443' }), loopback).origin).toBe(
      'http://a.example:8443',
    );
    expect(requestOrigin(req({ host: 'h:1', 'x-forwarded-proto': 'HTTPS' }), loopback).origin).toBe(
      'https://h:1',
    );
  });

  it('ignores forwarded headers from an untrusted peer', () => {
    const r = req(forwardedHeaders, { remoteAddress: '192.0.2.50' });
    expect(requestOrigin(r, loopback)).toMatchObject({ origin: 'http://127.0.0.1:3001', forwarded: false });
    expect(requestOrigin(req(forwardedHeaders), none).origin).toBe('http://127.0.0.1:3001');
  });

  it('ignores malformed or unknown forwarded values', () => {
    const r = req({ host: 'h:1', 'x-forwarded-host': 'evil.example/path', 'x-forwarded-proto': 'gopher' });
    expect(requestOrigin(r, loopback)).toMatchObject({ origin: 'http://h:1', forwarded: false });
  });

  it('takes the value of the outermost trusted proxy from a list, never one a client prepended', () => {
    // client (untrusted) sent "evil.example"; the trusted proxy appended the host it was asked for.
    const one = req({ 'x-forwarded-host': 'evil.example, iiif.example.org', 'x-forwarded-for': '192.0.2.9' });
    expect(requestOrigin(one, loopback).hostname).toBe('iiif.example.org');
    // Two trusted proxies (10.0.0.5 and the peer), each appending: the outer one's value wins.
    const two = req({
      'x-forwarded-host': 'evil.example, iiif.example.org, internal.lan',
      'x-forwarded-proto': 'http, https, http',
      'x-forwarded-for': '192.0.2.9, 10.0.0.5',
    });
    const trust = trustedProxies('loopback, 10.0.0.0/8');
    expect(requestOrigin(two, trust)).toMatchObject({ protocol: 'https', hostname: 'iiif.example.org' });
    // A proxy that overwrites (one value) behind another trusted hop: that value.
    const overwritten = req({
      'x-forwarded-host': 'iiif.example.org',
      'x-forwarded-for': '192.0.2.9, 10.0.0.5',
    });
    expect(requestOrigin(overwritten, trust).hostname).toBe('iiif.example.org');
    // Repeated header lines count as one list.
    expect(
      requestOrigin(req({ 'x-forwarded-host': ['evil.example', 'good.example'] }), loopback).hostname,
    ).toBe('good.example');
  });
});

describe('publicBaseUrl', () => {
  const loopback = trustedProxies('loopback');
  it('prefers an explicitly configured base (path prefix kept, no trailing slash)', () => {
    const r = req({ host: '127.0.0.1:3001', 'x-forwarded-host': 'iiif.example.org' });
    expect(publicBaseUrl(r, loopback, 'https://dlcs.example.org/prefix/')).toBe(
      'https://dlcs.example.org/prefix',
    );
    expect(publicBaseUrl(r, loopback, undefined)).toBe('http://iiif.example.org');
    expect(publicBaseUrl(req({ host: 'localhost:3001' }), loopback)).toBe('http://localhost:3001');
  });
});
