import { Injectable } from '@nestjs/common';
import { Prisma, type AccessService } from '@vellum/db';
import { OutboxRelay } from '@vellum/messaging';
import type { CustomerRef } from '../auth/principal';
import { JSON_LD_KEYS } from '../http/body-contract';
import type { FieldError } from '../http/problems';
import { checkBody } from '../resource/body-check';
import { RoleProvidersRepository } from '../role-providers/role-providers.repository';
import { CLICKTHROUGH, refName } from '../roles/access-control';
import { NamedAccessService, type NamedWrite } from '../roles/named-access.service';
import { AccessServiceBodyDto } from './access-service.dto';
import { ACCESS_SERVICE_READ_ONLY } from './access-service.fields';
import { AccessServicesRepository } from './access-services.repository';

/** The columns an access service write sets (Prisma `DbNull` clears an optional language map). */
type AccessServiceColumns = Partial<Prisma.AccessServiceUncheckedUpdateInput>;

/**
 * Access services (issue 10, SPEC.md §3.3 "Access control", §6): `C/accessServices[/{name}]`, the customer's IIIF
 * Authorization Flow 2.0 access services (served by auth-service at `service`). `label` is required; `heading`,
 * `note`, `confirmLabel` optional (`null` clears); `roleProvider` (default `clickthrough`) must exist (400).
 * Deleting one a role still names → 409.
 */
@Injectable()
export class AccessServicesService extends NamedAccessService<AccessService> {
  constructor(
    services: AccessServicesRepository,
    relay: OutboxRelay,
    private readonly providers: RoleProvidersRepository,
  ) {
    super(services, relay, 'access service');
  }

  protected async columns(
    customer: CustomerRef,
    _name: string,
    body: unknown,
    mode: NamedWrite,
  ): Promise<{ values: AccessServiceColumns; errors: FieldError[] }> {
    const {
      dto,
      sent,
      errors: found,
    } = checkBody(AccessServiceBodyDto, body, {
      ignore: [...JSON_LD_KEYS, ...ACCESS_SERVICE_READ_ONLY],
      partial: true,
    });
    const errors = found.filter((e) => e.field !== 'name');
    const failed = new Set(errors.map((e) => e.field));
    const values: Record<string, unknown> = {};
    if (!failed.has('label')) {
      if (dto.label !== undefined && dto.label !== null) values.label = dto.label;
      else if (sent.has('label') || mode !== 'patch')
        errors.push({
          field: 'label',
          message: 'label is required: a language map like {"en": ["Staff login"]}',
        });
    }
    if (!failed.has('profile')) {
      if (dto.profile !== undefined && dto.profile !== null) values.profile = dto.profile;
      else if (sent.has('profile') && mode === 'patch')
        errors.push({ field: 'profile', message: 'profile cannot be removed' });
      else if (mode !== 'patch') values.profile = 'active';
    }
    for (const k of ['heading', 'note', 'confirmLabel'] as const) {
      if (failed.has(k)) continue;
      if (dto[k] !== undefined && dto[k] !== null) values[k] = dto[k];
      else if (sent.has(k) || mode !== 'patch') values[k] = Prisma.DbNull;
    }
    if (!failed.has('roleProvider')) {
      const given = dto.roleProvider;
      if (given === null && sent.has('roleProvider') && mode === 'patch')
        errors.push({ field: 'roleProvider', message: 'roleProvider cannot be removed' });
      else if (given !== undefined && given !== null) {
        const name = refName(given, 'roleProviders', customer);
        if (!name)
          errors.push({
            field: 'roleProvider',
            message: `"${given.slice(0, 200)}" is not a role provider name or URL of this customer`,
          });
        else if (!(await this.providers.get(customer.id, name)))
          errors.push({
            field: 'roleProvider',
            message: `there is no role provider "${name}" for this customer`,
          });
        else values.roleProvider = name;
      } else if (mode !== 'patch') {
        if (!(await this.providers.get(customer.id, CLICKTHROUGH)))
          errors.push({
            field: 'roleProvider',
            message: 'roleProvider is required: the customer has no clickthrough role provider',
          });
        else values.roleProvider = CLICKTHROUGH;
      }
    }
    return { values, errors };
  }
}
