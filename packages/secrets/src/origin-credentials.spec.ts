import { randomBytes } from 'node:crypto';
import {
  hasCredentials,
  hasSealedCredentials,
  redactOrigin,
  renderOrigin,
  revealOrigin,
  sealOrigin,
  storedOriginFor,
} from './origin-credentials';
import { SecretBox } from './secret-box';

describe('origin credentials', () => {
  const box = new SecretBox(randomBytes(32));
  const plain = 'https://us%40er:p%3Ass@Example.org:8443/a/b.jpg?token=t0k#frag';

  it('seals only the userinfo, keeping the rest of the URI byte for byte', () => {
    const stored = sealOrigin(plain, box);
    expect(stored).toMatch(
      /^https:\/\/vellum-sealed:v1\.[0-9a-f]{8}\.[A-Za-z0-9_.-]+@Example\.org:8443\/a\/b\.jpg\?token=t0k#frag$/,
    );
    expect(stored).not.toContain('p%3Ass');
    expect(new URL(stored).hostname).toBe('example.org');
    expect(hasSealedCredentials(stored)).toBe(true);
    expect(revealOrigin(stored, box)).toBe(plain);
  });

  it('leaves origins without userinfo alone', () => {
    for (const o of [
      'https://example.org/x.jpg',
      'https://example.org/a@b.jpg',
      's3://bucket/key',
      'not a uri',
    ]) {
      expect(hasCredentials(o)).toBe(false);
      expect(sealOrigin(o, box)).toBe(o);
      expect(revealOrigin(o, box)).toBe(o);
      expect(renderOrigin(o)).toBe(o);
    }
  });

  it('renders credentials as xxx, and redacts logs further', () => {
    expect(renderOrigin(sealOrigin(plain, box))).toBe('https://xxx@Example.org:8443/a/b.jpg?token=t0k#frag');
    expect(renderOrigin('http://user@h/x')).toBe('http://xxx@h/x');
    expect(redactOrigin(plain)).toBe('https://example.org:8443/a/b.jpg?token=xxx');
    expect(redactOrigin('::nonsense')).toBe('[unparseable]');
  });

  it('keeps the stored credentials when the rendered or the same plain origin is sent back', () => {
    const stored = sealOrigin(plain, box);
    expect(storedOriginFor(renderOrigin(stored), stored, box)).toBe(stored);
    expect(storedOriginFor(plain, stored, box)).toBe(stored);
    const changed = storedOriginFor('https://other:pw@example.org/x.jpg', stored, box);
    expect(changed).not.toBe(stored);
    expect(revealOrigin(changed, box)).toBe('https://other:pw@example.org/x.jpg');
    expect(storedOriginFor('https://example.org/x.jpg', stored, box)).toBe('https://example.org/x.jpg');
    // A mask without stored credentials is taken literally.
    expect(revealOrigin(storedOriginFor('https://xxx@example.org/x', null, box), box)).toBe(
      'https://xxx@example.org/x',
    );
  });
});
