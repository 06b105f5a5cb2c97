import { Inject, Injectable } from '@nestjs/common';
import { originStrategiesFor, PRISMA, type PrismaClient } from '@vellum/db';
import {
  matchOriginStrategy,
  resolveOriginStrategy,
  type OriginStrategyName,
  type SecretBox,
  SecretBoxError,
} from '@vellum/secrets';
import { SECRET_BOX } from '../tokens';
import type { OriginAccess } from './origin-fetcher';
import { PermanentOriginError } from './origin-errors';

/**
 * The URL schemes each strategy type applies to (SPEC.md §1 "Origin strategy", §4.2). `default` applies to all.
 * `s3-ambient` takes `s3://` and the S3 http(s) URL forms (the S3 fetcher checks the form).
 */
const SCHEMES: Record<Exclude<OriginStrategyName, 'default'>, readonly string[]> = {
  'basic-http-authentication': ['http', 'https'],
  's3-ambient': ['s3', 'http', 'https'],
  sftp: ['sftp'],
  ftp: ['ftp', 'ftps', 'ftpes'],
};

/**
 * Why `strategy` cannot fetch an origin of `scheme` (a sentence naming the rule and the scheme), or null when it
 * can. Pure.
 * @param scheme the origin's URL scheme without the colon, lower case.
 */
export function strategySchemeProblem(
  strategy: OriginStrategyName,
  scheme: string,
  ruleId: string | undefined,
): string | null {
  if (strategy === 'default') return null;
  const schemes = SCHEMES[strategy];
  if (!schemes || schemes.includes(scheme)) return null;
  return `Origin strategy ${ruleId ?? '(unknown rule)'} (${strategy}) does not apply to ${scheme} origins (it takes ${schemes.join(', ')})`;
}

/**
 * The origin as rules are matched against it: its userinfo (credentials, sealed or not) removed textually, every
 * other character kept (`https://u:p@host/a` → `https://host/a`). Rules name hosts and paths; matching never
 * sees a credential.
 */
export function originForMatching(origin: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(origin);
  if (!m) return origin;
  const at = m[2].lastIndexOf('@');
  return at < 0 ? origin : `${m[1]}${m[2].slice(at + 1)}${m[3]}`;
}

/**
 * Resolves the customer's origin strategy for one origin before it is staged (SPEC.md §4.1 step 2): reads the
 * customer's rules (`originStrategiesFor` of @vellum/db, in evaluation order), picks the first whose regex matches
 * the origin without its credentials, opens the rule's sealed credentials (only here, to fetch) and checks that
 * the strategy fits the origin's scheme.
 *
 * Rules are read on every staging, not cached: one indexed query is small next to fetching an origin, and there is
 * no event for a changed rule, so a cache could only be invalidated by time (a rule just created would then not
 * apply to the asset registered right after it).
 */
@Injectable()
export class OriginAccessResolver {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  /**
   * @param origin the origin to fetch (its URL-embedded credentials may be opened already: they are ignored).
   * @returns the strategy to fetch with; `{ strategy: 'default', optimised: false }` when no rule matches.
   * @throws PermanentOriginError when the rule's credentials do not open (naming the rule, never the secret) or the
   *   strategy does not fit the origin's scheme (naming the rule and the scheme).
   */
  async resolve(customerId: number, origin: string): Promise<OriginAccess> {
    const rules = await originStrategiesFor(this.prisma, customerId);
    let access: OriginAccess;
    try {
      access = resolveOriginStrategy(customerId, rules, originForMatching(origin), this.secrets);
    } catch (err) {
      if (err instanceof SecretBoxError) {
        const rule = matchOriginStrategy(rules, originForMatching(origin));
        throw new PermanentOriginError(
          `The credentials of origin strategy ${rule?.id ?? '(unknown rule)'} cannot be opened (${err.message}): is VELLUM_SECRETS_KEY (or VELLUM_SECRETS_PREVIOUS_KEYS) the api-gateway's?`,
        );
      }
      throw err;
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(origin)?.[1].toLowerCase() ?? '';
    const problem = strategySchemeProblem(access.strategy, scheme, access.ruleId);
    if (problem) throw new PermanentOriginError(problem);
    // `optimised` means something only for s3-ambient (the gateway refuses it elsewhere; older rows aside).
    if (access.optimised && access.strategy !== 's3-ambient') access = { ...access, optimised: false };
    return access;
  }
}
