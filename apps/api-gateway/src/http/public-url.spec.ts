import { type RequestLike, trustedProxies } from '@vellum/common';
import { publicBases, type PublicUrlSettings } from './public-url';

describe('publicBases (SPEC.md §5)', () => {
  const req = (headers: Record<string, string>, remoteAddress = '127.0.0.1'): RequestLike => ({
    headers,
    socket: { remoteAddress, localAddress: '127.0.0.1', localPort: 3000 },
  });
  const local: PublicUrlSettings = { deliveryPort: 3001, trust: trustedProxies('loopback') };

  it('uses the request host, with the delivery port for delivery URLs', () => {
    expect(publicBases(req({ host: '127.0.0.1:3000' }), local)).toEqual({
      api: 'http://127.0.0.1:3000',
      delivery: 'http://127.0.0.1:3001',
    });
    expect(publicBases(req({ host: 'localhost:3000' }), local)).toEqual({
      api: 'http://localhost:3000',
      delivery: 'http://localhost:3001',
    });
    expect(publicBases(req({ host: '[::1]:3000' }), local).delivery).toBe('http://[::1]:3001');
    expect(publicBases(req({ host: 'bad/host' }), local).api).toBe('http://127.0.0.1:3000');
  });

  it('honours X-Forwarded-Host/-Proto from trusted proxies only', () => {
    const headers = {
      host: '127.0.0.1:3000',
      'x-forwarded-host': 'api.example.org',
      'x-forwarded-proto': 'https',
    };
    expect(publicBases(req(headers), local)).toEqual({
      api: 'https://api.example.org',
      delivery: 'https://api.example.org:3001',
    });
    expect(publicBases(req(headers, '192.0.2.1'), local)).toEqual({
      api: 'http://127.0.0.1:3000',
      delivery: 'http://127.0.0.1:3001',
    });
  });

  it('prefers explicitly configured URLs (path prefix kept, no trailing slash)', () => {
    const settings = {
      ...local,
      apiUrl: 'https://api.example.org/vellum/',
      deliveryUrl: 'https://iiif.example.org/',
    };
    expect(
      publicBases(req({ host: '127.0.0.1:3000', 'x-forwarded-host': 'other.example' }), settings),
    ).toEqual({
      api: 'https://api.example.org/vellum',
      delivery: 'https://iiif.example.org',
    });
    expect(
      publicBases(req({ host: 'localhost:3000' }), { ...local, deliveryUrl: 'https://iiif.example.org' }),
    ).toEqual({ api: 'http://localhost:3000', delivery: 'https://iiif.example.org' });
  });
});
