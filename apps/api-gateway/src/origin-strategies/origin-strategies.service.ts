import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isUniqueViolation, type OriginStrategy } from '@vellum/db';
import {
  CREDENTIALS_MASK,
  credentialsFit,
  openOriginCredentials,
  originStrategyType,
  parseOriginCredentials,
  sealOriginCredentials,
  SecretBox,
  type OriginCredentials,
  type OriginStrategyName,
} from '@vellum/secrets';
import { SECRET_BOX } from '../config/gateway-env';
import { conflict, notFound, validationProblem, type FieldError } from '../http/problems';
import { OriginStrategiesRepository, type OriginStrategyColumns } from './origin-strategies.repository';
import { strategyNameOf, type OriginStrategyBodyDto } from './origin-strategy.dto';

/** A rule id in a path: a UUID (anything else cannot exist: 404, never a database error). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the body says about `credentials`: nothing / `"xxx"` (keep), `null` (remove), or new text. */
type CredentialsIntent = { kind: 'keep' } | { kind: 'remove' } | { kind: 'new'; text: string };

function credentialsIntent(body: Record<string, unknown>): CredentialsIntent {
  if (!('credentials' in body) || body.credentials === undefined || body.credentials === CREDENTIALS_MASK)
    return { kind: 'keep' };
  if (body.credentials === null) return { kind: 'remove' };
  return { kind: 'new', text: body.credentials as string };
}

/**
 * Origin strategies (SPEC.md §3.3 "Origin strategies", §1): a customer's ordered regex rules saying how to fetch
 * origins. `credentials` are required for `basic-http-authentication`, `sftp` and `ftp` and refused for `default`
 * and `s3-ambient` (400), sealed with the gateway's {@link SecretBox} (AES-256-GCM, bound to the customer and rule
 * id) and never returned; `optimised` only for `s3-ambient`; `regex` unique per customer (409).
 */
@Injectable()
export class OriginStrategiesService {
  constructor(
    private readonly repo: OriginStrategiesRepository,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  /** The customer's rule `id`. @throws 404. */
  async get(customerId: number, id: string): Promise<OriginStrategy> {
    const row = UUID.test(id) ? await this.repo.get(customerId, id) : null;
    if (!row) throw notFound(`Origin strategy ${id} not found.`);
    return row;
  }

  /**
   * Creates a rule (`strategy` and `regex` required; `optimised` false and `order` 0 by default).
   * @throws 400 naming `credentials` (missing, refused or malformed for the strategy) and/or `optimised`; 409 when
   *   the customer already has a rule with this regex.
   */
  async create(customerId: number, dto: OriginStrategyBodyDto, body: unknown): Promise<OriginStrategy> {
    const strategy = strategyNameOf(dto.strategy)!;
    const errors: FieldError[] = [];
    const intent = credentialsIntent((body ?? {}) as Record<string, unknown>);
    const credentials = this.credentialsFor(strategy, intent.kind === 'new' ? intent : undefined, errors);
    if (dto.optimised && !originStrategyType(strategy)!.optimisable) errors.push(optimisedProblem(strategy));
    if (errors.length) throw validationProblem(errors);
    if (await this.repo.regexTaken(customerId, dto.regex)) throw regexConflict();
    const id = randomUUID();
    try {
      return await this.repo.create(customerId, id, {
        strategy,
        regex: dto.regex,
        credentials: credentials
          ? sealOriginCredentials(this.box, credentials, { customerId, ruleId: id })
          : null,
        optimised: dto.optimised ?? false,
        order: dto.order ?? 0,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw regexConflict();
      throw err;
    }
  }

  /**
   * Changes the supplied fields (SPEC.md §3.3: "`PUT` changes the fields supplied"); omitted (or `"xxx"`)
   * credentials are kept, re-sealed with the current key when they were sealed with a previous one. The resulting
   * rule must be consistent: changing to a strategy without credentials drops the stored ones; changing to one that
   * needs them keeps the stored ones only when they fit it (an sftp key does not fit ftp); `optimised` must end
   * false unless the strategy is s3-ambient. `null` resets `optimised` (false), `order` (0), `credentials` (none).
   * @throws 404 unknown id; 400 naming every failed field; 409 a regex another rule of the customer has.
   */
  async update(
    customerId: number,
    id: string,
    dto: OriginStrategyBodyDto,
    body: unknown,
  ): Promise<OriginStrategy> {
    const existing = await this.get(customerId, id);
    const sent = (body ?? {}) as Record<string, unknown>;
    const errors: FieldError[] = [];
    for (const k of ['strategy', 'regex'] as const)
      if (k in sent && sent[k] === null) errors.push({ field: k, message: `${k} cannot be null` });

    const strategy =
      dto.strategy !== undefined && dto.strategy !== null
        ? strategyNameOf(dto.strategy)!
        : (originStrategyType(existing.strategy)?.name ?? 'default');
    const type = originStrategyType(strategy)!;
    const data: OriginStrategyColumns = {};
    if (strategy !== existing.strategy) data.strategy = strategy;
    if (typeof dto.regex === 'string' && dto.regex !== existing.regex) data.regex = dto.regex;

    const intent = credentialsIntent(sent);
    const ref = { customerId, ruleId: id };
    if (intent.kind === 'new' || !type.requiresCredentials) {
      const credentials = this.credentialsFor(strategy, intent.kind === 'new' ? intent : undefined, errors);
      if (credentials) data.credentials = sealOriginCredentials(this.box, credentials, ref);
      else if (!type.requiresCredentials && existing.credentials) data.credentials = null;
    } else if (intent.kind === 'remove' || !existing.credentials) {
      errors.push({ field: 'credentials', message: `credentials are required for ${strategy}` });
    } else {
      const stored = this.tryOpen(existing.credentials, ref);
      if (strategy !== existing.strategy && (!stored || !credentialsFit(strategy, stored))) {
        errors.push({
          field: 'credentials',
          message: `the stored credentials do not fit ${strategy}: send new credentials`,
        });
      } else if (stored && this.box.needsRotation(existing.credentials)) {
        data.credentials = sealOriginCredentials(this.box, stored, ref);
      }
    }

    const optimised = 'optimised' in sent ? (dto.optimised ?? false) : existing.optimised;
    if (optimised && !type.optimisable) errors.push(optimisedProblem(strategy));
    else if (optimised !== existing.optimised) data.optimised = optimised;
    if ('order' in sent) data.order = dto.order ?? 0;
    if (errors.length) throw validationProblem(errors);

    if (data.regex !== undefined && (await this.repo.regexTaken(customerId, data.regex, id)))
      throw regexConflict();
    try {
      const row = Object.keys(data).length ? await this.repo.update(customerId, id, data) : existing;
      if (!row) throw notFound(`Origin strategy ${id} not found.`);
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw regexConflict();
      throw err;
    }
  }

  /** Deletes the customer's rule `id`. @throws 404. */
  async remove(customerId: number, id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.repo.remove(customerId, id)))
      throw notFound(`Origin strategy ${id} not found.`);
  }

  /**
   * The parsed credentials of a write for `strategy`, or undefined; problems are pushed to `errors` (messages never
   * quote the credentials).
   * @param sent the new credentials text, if the body carries one.
   */
  private credentialsFor(
    strategy: OriginStrategyName,
    sent: { text: string } | undefined,
    errors: FieldError[],
  ): OriginCredentials | undefined {
    const type = originStrategyType(strategy)!;
    if (!type.requiresCredentials) {
      if (sent)
        errors.push({
          field: 'credentials',
          message: `credentials are refused for ${strategy}: it uses no stored credentials`,
        });
      return undefined;
    }
    if (!sent) {
      errors.push({ field: 'credentials', message: `credentials are required for ${strategy}` });
      return undefined;
    }
    const parsed = parseOriginCredentials(strategy, sent.text);
    if ('problem' in parsed) {
      errors.push({ field: 'credentials', message: parsed.problem });
      return undefined;
    }
    return parsed.credentials;
  }

  /** The stored credentials opened, or undefined when they do not open (a key no longer configured). */
  private tryOpen(
    sealed: string,
    ref: { customerId: number; ruleId: string },
  ): OriginCredentials | undefined {
    try {
      return openOriginCredentials(this.box, sealed, ref);
    } catch {
      return undefined;
    }
  }
}

function optimisedProblem(strategy: string): FieldError {
  return { field: 'optimised', message: `optimised is only for s3-ambient, not ${strategy}` };
}

function regexConflict() {
  return conflict('An origin strategy with the same regex already exists for this customer.');
}
