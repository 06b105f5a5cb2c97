import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  credentialsFit,
  matchOriginStrategy,
  openOriginCredentials,
  ORIGIN_STRATEGY_TYPES,
  originStrategyType,
  parseOriginCredentials,
  REGEX_MAX_LENGTH,
  regexProblem,
  resolveOriginStrategy,
  sealOriginCredentials,
  type OriginStrategyName,
  type OriginStrategyRule,
} from './origin-strategy';
import { SecretBox, SecretBoxError } from './secret-box';

const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const json = (v: unknown) => JSON.stringify(v);

describe('origin strategy types (SPEC.md §1)', () => {
  it('lists the five types with requiresCredentials and optimisable', () => {
    expect(ORIGIN_STRATEGY_TYPES.map((t) => [t.name, t.requiresCredentials, t.optimisable])).toEqual([
      ['default', false, false],
      ['basic-http-authentication', true, false],
      ['s3-ambient', false, true],
      ['sftp', true, false],
      ['ftp', true, false],
    ]);
    expect(originStrategyType('sftp')?.requiresCredentials).toBe(true);
    expect(originStrategyType('SFTP')).toBeUndefined();
    expect(originStrategyType('http')).toBeUndefined();
  });
});

describe('parseOriginCredentials', () => {
  it.each<[OriginStrategyName, string, object]>([
    ['basic-http-authentication', json({ user: 'u', password: 'p' }), { user: 'u', password: 'p' }],
    ['ftp', json({ password: 'p w', user: 'ü' }), { user: 'ü', password: 'p w' }],
    ['sftp', json({ user: 'u', password: 'p' }), { user: 'u', password: 'p' }],
    ['sftp', json({ user: 'u', privateKey: pem }), { user: 'u', privateKey: pem }],
    [
      'sftp',
      json({ user: 'u', privateKey: pem, passphrase: 'x', password: 'p' }),
      { user: 'u', privateKey: pem, passphrase: 'x', password: 'p' },
    ],
    [
      'sftp',
      json({
        user: 'u',
        privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      }),
      { user: 'u' },
    ],
  ])('%s %s', (strategy, text, expected) => {
    const r = parseOriginCredentials(strategy, text);
    expect(r).toMatchObject({ credentials: expected });
  });

  it.each<[OriginStrategyName, unknown, RegExp]>([
    // The reference's invalid credentials (API.Tests CustomerOriginStrategyTests).
    [
      'basic-http-authentication',
      json({ user: '', password: 'p' }),
      /credentials.user must be a non-empty string/,
    ],
    [
      'basic-http-authentication',
      json({ user: 'u', password: '' }),
      /credentials.password must be a non-empty string/,
    ],
    ['basic-http-authentication', json({ username: 'u', pass: 'p' }), /unknown members "username", "pass"/],
    ['basic-http-authentication', '{}', /credentials.user must be a non-empty string/],
    ['basic-http-authentication', json({ user: 'u' }), /credentials.password/],
    ['ftp', json({ user: 'u', password: 7 }), /credentials.password must be a non-empty string/],
    ['ftp', json({ user: 'u', privateKey: pem }), /unknown member "privateKey"/],
    ['basic-http-authentication', { user: 'u', password: 'p' }, /must be a JSON-encoded string/],
    ['basic-http-authentication', '[]', /must encode a JSON object/],
    ['basic-http-authentication', 'null', /must encode a JSON object/],
    ['basic-http-authentication', '"text"', /must encode a JSON object/],
    ['basic-http-authentication', 'x'.repeat(20_001), /at most 20000 characters/],
    [
      'basic-http-authentication',
      json({ user: 'u'.repeat(257), password: 'p' }),
      /credentials.user must be at most 256/,
    ],
    ['basic-http-authentication', json({ user: 'u\u0000', password: 'p' }), /U\+0000/],
    ['sftp', json({ user: 'u' }), /password or privateKey for sftp/],
    ['sftp', json({ user: 'u', privateKey: 'not a key' }), /OpenSSH or PEM private key/],
    ['sftp', json({ user: 'u', password: 'p', passphrase: 'x' }), /passphrase is only used with privateKey/],
  ])('%s case %#', (strategy, text, message) => {
    const r = parseOriginCredentials(strategy, text);
    expect('problem' in r && r.problem).toMatch(message);
  });

  it('never quotes the secret, even for malformed JSON', () => {
    const r = parseOriginCredentials('basic-http-authentication', '{"user":"u","password":s3cr3t-pw}');
    expect(r).toEqual({ problem: 'credentials is not valid JSON' });
    const long = parseOriginCredentials('sftp', json({ user: 'u', privateKey: 's3cr3t-pw'.repeat(3) }));
    expect(JSON.stringify(long)).not.toContain('s3cr3t');
  });

  it('credentialsFit tells whether stored credentials suit another strategy', () => {
    expect(credentialsFit('ftp', { user: 'u', password: 'p' })).toBe(true);
    expect(credentialsFit('sftp', { user: 'u', password: 'p' })).toBe(true);
    expect(credentialsFit('ftp', { user: 'u', privateKey: pem })).toBe(false);
  });
});

describe('sealing credentials', () => {
  const box = new SecretBox(randomBytes(32));
  const ref = { customerId: 7, ruleId: '3f1b8c1e-0000-4000-8000-000000000001' };
  const credentials = { user: 'reader', password: 's3cr3t-pw' };

  it('seals without the plaintext, opens with the same rule only', () => {
    const sealed = sealOriginCredentials(box, credentials, ref);
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(sealed).not.toContain('s3cr3t');
    expect(sealed).not.toContain('reader');
    expect(openOriginCredentials(box, sealed, ref)).toEqual(credentials);
    expect(() => openOriginCredentials(box, sealed, { ...ref, ruleId: 'other' })).toThrow(SecretBoxError);
    expect(() => openOriginCredentials(box, sealed, { ...ref, customerId: 8 })).toThrow(SecretBoxError);
  });

  it('opens after a key rotation (the old key as a previous key)', () => {
    const sealed = sealOriginCredentials(box, credentials, ref);
    const oldKey = randomBytes(32);
    const before = new SecretBox(oldKey);
    const sealedOld = sealOriginCredentials(before, credentials, ref);
    const rotated = new SecretBox(randomBytes(32), [oldKey]);
    expect(openOriginCredentials(rotated, sealedOld, ref)).toEqual(credentials);
    expect(() => openOriginCredentials(rotated, sealed, ref)).toThrow(/unknown key/);
  });
});

describe('regexProblem', () => {
  it.each<[unknown, RegExp | null]>([
    ['http[s]?://(.*).example.com', null],
    ['^s3://my-bucket/', null],
    ['(?<host>[^/]+)', null],
    ['', /non-empty string/],
    [5, /non-empty string/],
    ['(', /not a valid JavaScript regular expression: .*Unterminated group/],
    ['[a-', /not a valid JavaScript regular expression/],
    ['x'.repeat(REGEX_MAX_LENGTH + 1), /at most 500 characters/],
    ['a\u0000', /U\+0000/],
  ])('%j', (regex, expected) => {
    const p = regexProblem(regex);
    if (expected === null) expect(p).toBeNull();
    else expect(p).toMatch(expected);
  });
});

describe('matchOriginStrategy / resolveOriginStrategy (SPEC.md §4.2)', () => {
  const rule = (id: string, regex: string, order: number, strategy = 'default'): OriginStrategyRule => ({
    id,
    regex,
    order,
    strategy,
    optimised: false,
    credentials: null,
  });

  it('takes the first match by ascending order, ties in the given order, anywhere in the origin', () => {
    const rules = [
      rule('late', 'example\\.org', 5),
      rule('early-b', 'images', 1),
      rule('early-a', 'nomatch', 1),
      rule('first-tie', 'example', 2),
      rule('second-tie', 'example', 2),
    ];
    expect(matchOriginStrategy(rules, 'https://images.example.org/a.jpg')?.id).toBe('early-b');
    expect(matchOriginStrategy(rules, 'https://www.example.org/a.jpg')?.id).toBe('first-tie');
    expect(matchOriginStrategy(rules, 'https://other.net/a.jpg')).toBeUndefined();
    expect(matchOriginStrategy([], 'https://x/y')).toBeUndefined();
    // Negative orders come first; a stored regex that no longer compiles is skipped.
    expect(matchOriginStrategy([rule('a', 'x', 0), rule('bad', '(', -5), rule('b', 'x', -1)], 'x')?.id).toBe(
      'b',
    );
  });

  it('resolves the default without a match, and opens the credentials of a match', () => {
    const box = new SecretBox(randomBytes(32));
    const credentials = { user: 'u', password: 'pw' };
    const rules: OriginStrategyRule[] = [
      {
        ...rule('r1', '^https://secure\\.', 1, 'basic-http-authentication'),
        credentials: sealOriginCredentials(box, credentials, { customerId: 3, ruleId: 'r1' }),
      },
      { ...rule('r2', '^s3://', 2, 's3-ambient'), optimised: true },
    ];
    expect(resolveOriginStrategy(3, rules, 'https://open.example/x', box)).toEqual({
      strategy: 'default',
      optimised: false,
    });
    expect(resolveOriginStrategy(3, rules, 'https://secure.example/x', box)).toEqual({
      strategy: 'basic-http-authentication',
      optimised: false,
      credentials,
      ruleId: 'r1',
    });
    expect(resolveOriginStrategy(3, rules, 's3://bucket/key', box)).toEqual({
      strategy: 's3-ambient',
      optimised: true,
      ruleId: 'r2',
    });
    expect(() => resolveOriginStrategy(4, rules, 'https://secure.example/x', box)).toThrow(SecretBoxError);
  });
});
