import { publicBase } from './public-url';

describe('publicBase', () => {
  it.each([
    ['http://localhost:3001', {}, 'http://localhost:3001'],
    ['http://localhost:3001/', {}, 'http://localhost:3001'],
    ['https://dlcs.example.org/prefix/', {}, 'https://dlcs.example.org/prefix'],
    [
      'http://localhost:3001',
      { 'x-forwarded-host': 'iiif.example.org', 'x-forwarded-proto': 'https' },
      'https://iiif.example.org',
    ],
    ['http://localhost:3001', { 'x-forwarded-host': 'a.example:8443, b.example' }, 'http://a.example:8443'],
    ['http://localhost:3001', { 'x-forwarded-proto': 'https' }, 'https://localhost:3001'],
    ['http://localhost:3001', { 'x-forwarded-host': 'evil.example/path?x' }, 'http://localhost:3001'],
    ['http://localhost:3001', { 'x-forwarded-proto': 'gopher' }, 'http://localhost:3001'],
  ])('%s with %j → %s', (configured, headers, expected) => {
    expect(publicBase(configured, headers)).toBe(expected);
  });
});
