import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@vellum/db';

/** An access service with its role provider and what it can grant. */
export interface ResolvedAccessService {
  customerId: number;
  service: {
    name: string;
    profile: 'active' | 'kiosk' | 'external';
    label: unknown;
    heading: unknown;
    note: unknown;
    confirmLabel: unknown;
  };
  provider: {
    name: string;
    type: 'clickthrough' | 'builtin' | 'oidc';
    issuer: string | null;
    clientId: string | null;
    clientSecret: string | null;
    scopes: string | null;
    claim: string | null;
    roleMapping: unknown;
    modified: Date;
  };
  /** Names of the customer's roles whose `accessService` is this service (clickthrough and kiosk grant these). */
  serviceRoles: string[];
  /** Names of every role of the customer (a grant never names a role the customer does not have). */
  customerRoles: Set<string>;
}

/** Reads the access-control configuration the gateway writes (issue 10 contract "Management API"). */
@Injectable()
export class AccessServicesRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * The access service `name` of customer `customerId` with its role provider and roles, or `undefined` when the
   * customer, the service or its provider does not exist.
   */
  async find(customerId: number, name: string): Promise<ResolvedAccessService | undefined> {
    if (!Number.isSafeInteger(customerId) || customerId < 1 || !/^[a-z0-9][a-z0-9-]{0,99}$/.test(name))
      return undefined;
    const service = await this.prisma.accessService.findUnique({
      where: { customerId_name: { customerId, name } },
    });
    if (!service) return undefined;
    const [provider, roles] = await Promise.all([
      this.prisma.roleProvider.findUnique({
        where: { customerId_name: { customerId, name: service.roleProvider } },
      }),
      this.prisma.role.findMany({ where: { customerId }, select: { name: true, accessService: true } }),
    ]);
    if (!provider) return undefined;
    return {
      customerId,
      service: {
        name: service.name,
        profile: service.profile,
        label: service.label,
        heading: service.heading,
        note: service.note,
        confirmLabel: service.confirmLabel,
      },
      provider,
      serviceRoles: roles.filter((r) => r.accessService === name).map((r) => r.name),
      customerRoles: new Set(roles.map((r) => r.name)),
    };
  }

  /** Whether customer `customerId` exists. */
  async customerExists(customerId: number): Promise<boolean> {
    if (!Number.isSafeInteger(customerId) || customerId < 1) return false;
    return (await this.prisma.customer.count({ where: { id: customerId } })) > 0;
  }

  /** The built-in user `username` (compared lower-case) of the customer, or undefined. */
  findUser(
    customerId: number,
    username: string,
  ): Promise<{ id: string; passwordHash: string; roles: string[]; enabled: boolean } | null> {
    return this.prisma.authUser.findUnique({
      where: { customerId_username: { customerId, username: username.toLowerCase() } },
      select: { id: true, passwordHash: true, roles: true, enabled: true },
    });
  }
}

/**
 * A role named in a grant (a bare name or a role URI ending `/customers/{c}/roles/{name}`) as a role name of
 * customer `customerId`, or undefined when it names another customer's or no valid role.
 */
export function roleName(ref: unknown, customerId: number, customerName?: string): string | undefined {
  if (typeof ref !== 'string') return undefined;
  if (/^[a-z0-9][a-z0-9-]{0,99}$/.test(ref)) return ref;
  const m = /\/customers\/([^/]+)\/roles\/([a-z0-9][a-z0-9-]{0,99})$/.exec(ref);
  if (!m) return undefined;
  return m[1] === String(customerId) || (customerName !== undefined && m[1] === customerName)
    ? m[2]
    : undefined;
}
