import type { SecretBox } from './secret-box';

/**
 * Origin strategies (SPEC.md §1 "Origin strategy", §3.3 "Origin strategies", §4.2): the strategy types, their
 * credentials (parsed, sealed, opened) and the rule that picks a customer's strategy for an origin. Pure, shared by
 * the api-gateway (which validates and seals what it stores) and the ingest-orchestrator (which picks the strategy
 * and opens the credentials before fetching).
 */

/** The strategy types a rule may name. */
export type OriginStrategyName = 'default' | 'basic-http-authentication' | 's3-ambient' | 'sftp' | 'ftp';

/** One strategy type, as the public list `GET /originStrategies` shows it. */
export interface OriginStrategyType {
  name: OriginStrategyName;
  /** True when a rule of this type must carry credentials (and false when it must not). */
  requiresCredentials: boolean;
  /** True when a rule of this type may be `optimised` (the origin is read again at delivery, no copy stored). */
  optimisable: boolean;
  description: string;
}

/** Every strategy type (SPEC.md §1), in the order the public list shows them. */
export const ORIGIN_STRATEGY_TYPES: readonly OriginStrategyType[] = [
  {
    name: 'default',
    requiresCredentials: false,
    optimisable: false,
    description: 'Fetch the origin anonymously (http, https, s3 with the platform credentials, sftp, ftp).',
  },
  {
    name: 'basic-http-authentication',
    requiresCredentials: true,
    optimisable: false,
    description: 'Fetch an http(s) origin with HTTP Basic authentication: credentials {"user","password"}.',
  },
  {
    name: 's3-ambient',
    requiresCredentials: false,
    optimisable: true,
    description:
      "Fetch an s3:// (or S3 https) origin with the platform's own S3 credentials; optimised: the origin is read again at delivery time and no copy is stored.",
  },
  {
    name: 'sftp',
    requiresCredentials: true,
    optimisable: false,
    description:
      'Fetch an sftp:// origin: credentials {"user","password"} or {"user","privateKey"[,"passphrase"]} (OpenSSH/PEM private key).',
  },
  {
    name: 'ftp',
    requiresCredentials: true,
    optimisable: false,
    description: 'Fetch an ftp:// origin (passive mode): credentials {"user","password"}.',
  },
];

const BY_NAME = new Map(ORIGIN_STRATEGY_TYPES.map((t) => [t.name, t]));

/** The strategy type called `name`, or undefined. */
export function originStrategyType(name: string): OriginStrategyType | undefined {
  return BY_NAME.get(name as OriginStrategyName);
}

/** The credentials of a rule, once parsed: `user` and a `password` and/or (sftp only) a `privateKey`. */
export interface OriginCredentials {
  user: string;
  password?: string;
  /** sftp only: an OpenSSH or PEM private key. */
  privateKey?: string;
  /** sftp only, with `privateKey`: its passphrase. */
  passphrase?: string;
}

/** Longest `credentials` text accepted (characters), and of each member. */
export const CREDENTIALS_LIMITS = { text: 20_000, user: 256, password: 1024, privateKey: 16_384 } as const;

/**
 * Parses the `credentials` of a rule: a JSON-encoded string holding an object.
 * - `basic-http-authentication`, `ftp`: `{"user","password"}`, both non-empty strings;
 * - `sftp`: `{"user"}` with a non-empty `password` and/or `privateKey` (`-----BEGIN ... PRIVATE KEY-----`), and an
 *   optional `passphrase` only with `privateKey`;
 * - no other member.
 * Messages never quote the text (it holds a secret): a JSON syntax error is reported without its position.
 * @param strategy a strategy that requires credentials.
 * @returns the credentials, or a problem sentence (starting with "credentials").
 */
export function parseOriginCredentials(
  strategy: OriginStrategyName,
  text: unknown,
): { credentials: OriginCredentials } | { problem: string } {
  if (typeof text !== 'string')
    return {
      problem:
        'credentials must be a JSON-encoded string, e.g. "{\\"user\\":\\"u\\",\\"password\\":\\"p\\"}"',
    };
  if (text.length > CREDENTIALS_LIMITS.text)
    return { problem: `credentials must be at most ${CREDENTIALS_LIMITS.text} characters` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'credentials is not valid JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { problem: 'credentials must encode a JSON object' };
  const o = value as Record<string, unknown>;
  const allowed =
    strategy === 'sftp' ? ['user', 'password', 'privateKey', 'passphrase'] : ['user', 'password'];
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length)
    return {
      problem: `credentials has unknown member${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} (${strategy} takes ${allowed.join(', ')})`,
    };
  const member = (k: string, max: number): string | undefined | { problem: string } => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') return { problem: `credentials.${k} must be a non-empty string` };
    if (v.length > max) return { problem: `credentials.${k} must be at most ${max} characters` };
    if (v.includes('\u0000')) return { problem: `credentials.${k} must not contain U+0000` };
    return v;
  };
  const fields: Record<string, string | undefined> = {};
  for (const [k, max] of [
    ['user', CREDENTIALS_LIMITS.user],
    ['password', CREDENTIALS_LIMITS.password],
    ['privateKey', CREDENTIALS_LIMITS.privateKey],
    ['passphrase', CREDENTIALS_LIMITS.password],
  ] as const) {
    const v = member(k, max);
    if (v !== undefined && typeof v === 'object') return v;
    fields[k] = v;
  }
  if (!fields.user) return { problem: 'credentials.user must be a non-empty string' };
  if (strategy === 'sftp') {
    if (!fields.password && !fields.privateKey)
      return { problem: 'credentials needs a non-empty password or privateKey for sftp' };
    if (
      fields.privateKey &&
      !/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]+-----END [A-Z0-9 ]*PRIVATE KEY-----\s*$/.test(
        fields.privateKey.trim(),
      )
    )
      return {
        problem:
          'credentials.privateKey must be an OpenSSH or PEM private key (-----BEGIN ... PRIVATE KEY-----)',
      };
    if (fields.passphrase && !fields.privateKey)
      return { problem: 'credentials.passphrase is only used with privateKey' };
  } else if (!fields.password) {
    return { problem: 'credentials.password must be a non-empty string' };
  }
  const credentials: OriginCredentials = { user: fields.user };
  if (fields.password) credentials.password = fields.password;
  if (fields.privateKey) credentials.privateKey = fields.privateKey;
  if (fields.passphrase) credentials.passphrase = fields.passphrase;
  return { credentials };
}

/** True when stored credentials (already parsed) are complete for `strategy` (see {@link parseOriginCredentials}). */
export function credentialsFit(strategy: OriginStrategyName, c: OriginCredentials): boolean {
  const r = parseOriginCredentials(strategy, JSON.stringify(c));
  return 'credentials' in r;
}

/**
 * The additional authenticated data a rule's credentials are sealed with: the customer and the rule id, so a sealed
 * value copied onto another rule (or another customer's) does not open.
 */
function context(customerId: number, ruleId: string): string {
  return `origin-strategy:${customerId}:${ruleId}`;
}

/** Seals a rule's credentials for storage (`v1.<kid>.<iv>.<ct>`). */
export function sealOriginCredentials(
  box: SecretBox,
  credentials: OriginCredentials,
  ref: { customerId: number; ruleId: string },
): string {
  return box.seal(JSON.stringify(credentials), context(ref.customerId, ref.ruleId));
}

/**
 * Opens a rule's stored credentials.
 * @throws SecretBoxError when they do not open (a key this box does not hold: configure it as a previous key;
 *   sealed for another rule; tampered).
 */
export function openOriginCredentials(
  box: SecretBox,
  sealed: string,
  ref: { customerId: number; ruleId: string },
): OriginCredentials {
  return JSON.parse(box.open(sealed, context(ref.customerId, ref.ruleId))) as OriginCredentials;
}

/** Longest `regex` accepted (characters: its UTF-8 form stays under the Postgres btree row limit). */
export const REGEX_MAX_LENGTH = 500;

/**
 * Why `regex` cannot be a rule's regex, or null: it must be a non-empty JavaScript regular expression (no flags,
 * matched anywhere in the origin, as the reference's .NET `Regex.IsMatch`) of at most {@link REGEX_MAX_LENGTH}
 * characters.
 */
export function regexProblem(regex: unknown): string | null {
  if (typeof regex !== 'string' || regex === '') return 'regex must be a non-empty string';
  if (regex.length > REGEX_MAX_LENGTH) return `regex must be at most ${REGEX_MAX_LENGTH} characters`;
  if (regex.includes('\u0000')) return 'regex must not contain U+0000';
  try {
    new RegExp(regex);
  } catch (e) {
    return `regex is not a valid JavaScript regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  return null;
}

/** What {@link matchOriginStrategy} needs of a stored rule (a `origin_strategies` row fits). */
export interface OriginStrategyRule {
  id: string;
  regex: string;
  strategy: string;
  order: number;
  optimised: boolean;
  credentials?: string | null;
}

/**
 * The rule that applies to an origin (SPEC.md §1, §4.2): the first, by ascending `order` (ties keep the given
 * order: pass the rows as `originStrategiesFor` in @vellum/db reads them, oldest first), whose `regex` matches anywhere in the origin.
 * A stored regex that no longer compiles is skipped.
 * @returns the rule, or undefined: then the `default` strategy (anonymous) applies.
 */
export function matchOriginStrategy<R extends OriginStrategyRule>(
  rules: readonly R[],
  origin: string,
): R | undefined {
  const sorted = rules.map((r, i) => ({ r, i })).sort((a, b) => a.r.order - b.r.order || a.i - b.i);
  for (const { r } of sorted) {
    let re: RegExp;
    try {
      re = new RegExp(r.regex);
    } catch {
      continue;
    }
    if (re.test(origin)) return r;
  }
  return undefined;
}

/** How to fetch one origin: the strategy, whether it is optimised, its credentials when it has some. */
export interface ResolvedOriginStrategy {
  strategy: OriginStrategyName;
  optimised: boolean;
  credentials?: OriginCredentials;
  /** The id of the rule that matched; undefined for the implicit `default`. */
  ruleId?: string;
}

/**
 * Picks and opens the strategy for an origin (what the ingest-orchestrator calls before fetching, SPEC.md §4.1
 * step 2): {@link matchOriginStrategy}, then the rule's credentials opened with `box`; no match → `default`.
 * @param rules the customer's rules (`originStrategiesFor` in @vellum/db reads them in order).
 * @throws SecretBoxError when the matching rule's credentials do not open (a missing previous key: a permanent
 *   error for the asset, never logged with the secret).
 */
export function resolveOriginStrategy(
  customerId: number,
  rules: readonly OriginStrategyRule[],
  origin: string,
  box: SecretBox,
): ResolvedOriginStrategy {
  const rule = matchOriginStrategy(rules, origin);
  if (!rule || !originStrategyType(rule.strategy)) return { strategy: 'default', optimised: false };
  const out: ResolvedOriginStrategy = {
    strategy: rule.strategy as OriginStrategyName,
    optimised: rule.optimised,
    ruleId: rule.id,
  };
  if (rule.credentials)
    out.credentials = openOriginCredentials(box, rule.credentials, { customerId, ruleId: rule.id });
  return out;
}
