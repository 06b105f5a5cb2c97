import { apiBaseUrl } from './public-url';

describe('apiBaseUrl', () => {
  const req = (headers: Record<string, string>) => ({ headers });
  it('uses VELLUM_API_URL', () => {
    expect(apiBaseUrl('http://localhost:3000')).toBe('http://localhost:3000');
    expect(apiBaseUrl('https://api.example.org/vellum/')).toBe('https://api.example.org/vellum');
  });
  it('honours X-Forwarded-Host and X-Forwarded-Proto', () => {
    expect(
      apiBaseUrl(
        'http://localhost:3000',
        req({ 'x-forwarded-host': 'api.example.org', 'x-forwarded-proto': 'https' }),
      ),
    ).toBe('https://api.example.org');
    expect(apiBaseUrl('http://localhost:3000', req({ 'x-forwarded-host': 'a.example:8443, b' }))).toBe(
      'http://a.example:8443',
    );
    expect(apiBaseUrl('http://localhost:3000', req({ 'x-forwarded-host': 'evil.example/<x>' }))).toBe(
      'http://localhost:3000',
    );
    expect(apiBaseUrl('http://localhost:3000', req({ 'x-forwarded-proto': 'gopher' }))).toBe(
      'http://localhost:3000',
    );
  });
});
