import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type AccessService, type Prisma, type PrismaClient } from '@vellum/db';
import type { Db } from '../resource/customer-scoped.repository';
import { NamedAccessRepository, usesText } from '../roles/named-access.repository';
import { ACCESS_SERVICE_FIELDS } from './access-service.fields';

/**
 * Access services of one customer (issue 10), scoped in one place; every change announces
 * `customer.access-control.changed.v1` through the outbox. One is not deleted while a role names it.
 */
@Injectable()
export class AccessServicesRepository extends NamedAccessRepository<
  AccessService,
  Prisma.AccessServiceWhereInput
> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, ACCESS_SERVICE_FIELDS, [{ created: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.accessService;
  }

  protected async uses(customerId: number, name: string, db: Db): Promise<string | null> {
    const roles = await db.role.count({ where: { customerId, accessService: name } });
    return usesText({ [`roles (${roles})`]: roles });
  }
}
