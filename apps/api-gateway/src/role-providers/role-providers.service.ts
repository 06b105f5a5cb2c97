import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type RoleProvider } from '@vellum/db';
import { OutboxRelay } from '@vellum/messaging';
import type { SecretBox } from '@vellum/secrets';
import type { CustomerRef } from '../auth/principal';
import { SECRET_BOX } from '../config/gateway-env';
import { JSON_LD_KEYS } from '../http/body-contract';
import type { FieldError } from '../http/problems';
import { checkBody } from '../resource/body-check';
import { NamedAccessService, type NamedWrite } from '../roles/named-access.service';
import { RoleRefs } from '../roles/role-refs.service';
import { RoleProviderBodyDto } from './role-provider.dto';
import { ROLE_PROVIDER_READ_ONLY, SECRET_PLACEHOLDER } from './role-provider.fields';
import { RoleProvidersRepository } from './role-providers.repository';

/** The OIDC-only fields (refused for the other types, cleared when the type changes away from oidc). */
const OIDC_FIELDS = ['issuer', 'clientId', 'clientSecret', 'scopes', 'claim', 'roleMapping'] as const;
type OidcField = (typeof OIDC_FIELDS)[number];
/** Scopes asked for when none are given. */
export const DEFAULT_OIDC_SCOPES = 'openid profile email';

/** The context a role provider's client secret is sealed with (issue 10 contract). */
export function clientSecretContext(customerId: number, name: string): string {
  return `role-provider:${customerId}:${name}`;
}

/** Why `v` cannot be an OIDC issuer (an https URL, or http on a loopback host), or null. */
export function issuerProblem(v: string): string | null {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'issuer must be an absolute URL';
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) || /^127\./.test(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    return 'issuer must be an https URL (http only on a loopback host)';
  if (u.search || u.hash || u.username || u.password)
    return 'issuer must not have a query, fragment or credentials';
  return null;
}

/**
 * Role providers (issue 10, SPEC.md §3.3 "Access control"): `C/roleProviders[/{name}]`. For `oidc`, `issuer`,
 * `clientId`, `claim` and (on create, or when the type becomes oidc) `clientSecret` are required; the secret is
 * sealed with the gateway's SecretBox (`role-provider:{c}:{name}`) and rendered "xxx" (sending "xxx" back keeps
 * it); `roleMapping` values are role names or URIs that must exist (400), stored as names. Deleting one an access
 * service still names → 409.
 */
@Injectable()
export class RoleProvidersService extends NamedAccessService<RoleProvider> {
  constructor(
    providers: RoleProvidersRepository,
    relay: OutboxRelay,
    private readonly roleRefs: RoleRefs,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {
    super(providers, relay, 'role provider');
  }

  protected async columns(
    customer: CustomerRef,
    name: string,
    body: unknown,
    mode: NamedWrite,
    existing: RoleProvider | null,
  ): Promise<{ values: Prisma.RoleProviderUncheckedUpdateInput; errors: FieldError[] }> {
    const {
      dto,
      sent,
      errors: found,
    } = checkBody(RoleProviderBodyDto, body, {
      ignore: [...JSON_LD_KEYS, ...ROLE_PROVIDER_READ_ONLY],
      partial: true,
    });
    const errors = found.filter((e) => e.field !== 'name');
    const failed = new Set(errors.map((e) => e.field));
    const values: Record<string, unknown> = {};
    const type = dto.type ?? (mode === 'patch' ? existing?.type : undefined);
    if (!failed.has('type') && !type)
      errors.push({ field: 'type', message: 'type is required: clickthrough, builtin or oidc' });
    if (dto.type) values.type = dto.type;
    if (errors.length || !type) return { values, errors };

    // The OIDC fields as they will be after this write (PATCH keeps what is not sent, unless the type changes).
    const keep = mode === 'patch' && existing?.type === 'oidc' && type === 'oidc';
    const next: Partial<Record<OidcField, unknown>> = {};
    for (const k of OIDC_FIELDS) {
      if (sent.has(k)) next[k] = (dto as unknown as Record<string, unknown>)[k] ?? null;
      else if (keep && existing) next[k] = existing[k];
      else next[k] = null;
    }
    if (type !== 'oidc') {
      for (const k of OIDC_FIELDS)
        if (sent.has(k) && next[k] !== null) errors.push({ field: k, message: `${k} is only for type oidc` });
      for (const k of OIDC_FIELDS) values[k] = k === 'roleMapping' ? Prisma.DbNull : null;
      return { values, errors };
    }
    // clientSecret: "xxx" (or omission on PATCH) keeps the stored one.
    let secret: string | null = null;
    let sealed: string | null = null;
    if (next.clientSecret === SECRET_PLACEHOLDER || (!sent.has('clientSecret') && keep))
      sealed = existing?.clientSecret ?? null;
    else if (typeof next.clientSecret === 'string') secret = next.clientSecret;
    if (next.clientSecret === SECRET_PLACEHOLDER && !sealed)
      errors.push({
        field: 'clientSecret',
        message: 'clientSecret "xxx" keeps a stored secret, and there is none',
      });
    for (const [k, label] of [
      ['issuer', 'the issuer URL'],
      ['clientId', 'the client id'],
      ['claim', 'the claim whose values map to roles, e.g. groups'],
    ] as const)
      if (!failed.has(k) && (typeof next[k] !== 'string' || next[k] === ''))
        errors.push({ field: k, message: `${k} is required for type oidc: ${label}` });
    if (
      !failed.has('clientSecret') &&
      secret === null &&
      sealed === null &&
      next.clientSecret !== SECRET_PLACEHOLDER
    )
      errors.push({ field: 'clientSecret', message: 'clientSecret is required for type oidc' });
    if (typeof next.issuer === 'string' && !failed.has('issuer')) {
      const p = issuerProblem(next.issuer);
      if (p) errors.push({ field: 'issuer', message: p });
    }
    let mapping: Record<string, string[]> | null = null;
    const raw = next.roleMapping as Record<string, string[]> | null;
    if (raw && !failed.has('roleMapping')) {
      const keys = Object.keys(raw);
      const resolved = await this.roleRefs.resolveAll(
        customer.id,
        keys.map((k) => ({ field: `roleMapping.${k}`, values: raw[k] })),
      );
      errors.push(...resolved.errors);
      mapping = Object.fromEntries(keys.map((k, i) => [k, resolved.names[i]]));
    }
    values.issuer = next.issuer;
    values.clientId = next.clientId;
    values.claim = next.claim;
    values.scopes =
      typeof next.scopes === 'string' && next.scopes.trim() ? next.scopes.trim() : DEFAULT_OIDC_SCOPES;
    values.roleMapping = mapping ?? Prisma.DbNull;
    values.clientSecret =
      secret !== null ? this.box.seal(secret, clientSecretContext(customer.id, name)) : sealed;
    return { values, errors };
  }
}
