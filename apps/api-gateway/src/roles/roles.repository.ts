import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, Prisma, type PrismaClient, type Role } from '@vellum/db';
import type { Db } from '../resource/customer-scoped.repository';
import { NamedAccessRepository, usesText } from './named-access.repository';
import { ROLE_FIELDS } from './role.fields';

/** The columns a role write sets. */
export interface RoleColumns {
  label: Prisma.InputJsonValue;
  accessService: string;
}

/**
 * Roles of one customer (issue 10, SPEC.md §6), scoped in one place; every change announces
 * `customer.access-control.changed.v1` through the outbox. A role is not deleted while an asset, a space's
 * `defaultRoles`, a user, a custom header or an OIDC role mapping names it.
 */
@Injectable()
export class RolesRepository extends NamedAccessRepository<Role, Prisma.RoleWhereInput> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, ROLE_FIELDS, [{ created: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.role;
  }

  /**
   * One query: the customer's name and which of `names` are roles of the customer (for role references in
   * assets, spaces, custom headers and users). Null when the customer does not exist.
   */
  async known(
    customerId: number,
    names: readonly string[],
  ): Promise<{ customer: string; roles: Set<string> } | null> {
    const row = await this.prisma.customer.findUnique({
      where: { id: customerId },
      select: { name: true, roles: { where: { name: { in: [...names] } }, select: { name: true } } },
    });
    return row ? { customer: row.name, roles: new Set(row.roles.map((r) => r.name)) } : null;
  }

  protected async uses(customerId: number, name: string, db: Db): Promise<string | null> {
    const [asset, spaces, users, customHeaders, mapped] = await Promise.all([
      db.asset.findFirst({ where: { customerId, roles: { has: name } }, select: { id: true } }),
      db.space.count({ where: { customerId, defaultRoles: { has: name } } }),
      db.authUser.count({ where: { customerId, roles: { has: name } } }),
      db.customHeader.count({ where: { customerId, role: name } }),
      db.$queryRaw<{ n: number }[]>(Prisma.sql`
        SELECT count(*)::int AS n FROM "role_providers" p
        WHERE p."customerId" = ${customerId} AND jsonb_typeof(p."roleMapping") = 'object'
          AND EXISTS (SELECT 1 FROM jsonb_each(p."roleMapping") e, jsonb_array_elements_text(
                        CASE WHEN jsonb_typeof(e.value) = 'array' THEN e.value ELSE '[]'::jsonb END) v
                      WHERE v = ${name})`),
    ]);
    return usesText({
      assets: asset ? 1 : 0,
      [`spaces' defaultRoles (${spaces})`]: spaces,
      [`users (${users})`]: users,
      [`custom headers (${customHeaders})`]: customHeaders,
      [`role providers' roleMapping (${mapped[0]?.n ?? 0})`]: mapped[0]?.n ?? 0,
    });
  }
}
