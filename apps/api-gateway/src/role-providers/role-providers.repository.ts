import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type Prisma, type PrismaClient, type RoleProvider } from '@vellum/db';
import type { Db } from '../resource/customer-scoped.repository';
import { NamedAccessRepository, usesText } from '../roles/named-access.repository';
import { ROLE_PROVIDER_FIELDS } from './role-provider.fields';

/**
 * Role providers of one customer (issue 10), scoped in one place; every change announces
 * `customer.access-control.changed.v1` through the outbox. One is not deleted while an access service names it.
 */
@Injectable()
export class RoleProvidersRepository extends NamedAccessRepository<
  RoleProvider,
  Prisma.RoleProviderWhereInput
> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, ROLE_PROVIDER_FIELDS, [{ created: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.roleProvider;
  }

  protected async uses(customerId: number, name: string, db: Db): Promise<string | null> {
    const services = await db.accessService.count({ where: { customerId, roleProvider: name } });
    return usesText({ [`access services (${services})`]: services });
  }
}
