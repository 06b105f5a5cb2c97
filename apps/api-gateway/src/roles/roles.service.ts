import { Injectable } from '@nestjs/common';
import type { Role } from '@vellum/db';
import { OutboxRelay } from '@vellum/messaging';
import { AccessServicesRepository } from '../access-services/access-services.repository';
import type { CustomerRef } from '../auth/principal';
import { JSON_LD_KEYS } from '../http/body-contract';
import type { FieldError } from '../http/problems';
import { checkBody } from '../resource/body-check';
import { CLICKTHROUGH, refName } from './access-control';
import { NamedAccessService, type NamedWrite } from './named-access.service';
import { RoleBodyDto } from './role.dto';
import { ROLE_READ_ONLY } from './role.fields';
import { RolesRepository, type RoleColumns } from './roles.repository';

/**
 * Roles (issue 10, SPEC.md §3.3 "Access control", §6): `C/roles[/{name}]`. A role has a language-map `label` and
 * the access service that grants it (`accessService`, default `clickthrough`, which must exist: 400). Deleting a
 * role an asset, space, user, custom header or role mapping still names → 409.
 */
@Injectable()
export class RolesService extends NamedAccessService<Role> {
  constructor(
    roles: RolesRepository,
    relay: OutboxRelay,
    private readonly services: AccessServicesRepository,
  ) {
    super(roles, relay, 'role');
  }

  protected async columns(
    customer: CustomerRef,
    _name: string,
    body: unknown,
    mode: NamedWrite,
  ): Promise<{ values: Partial<RoleColumns>; errors: FieldError[] }> {
    const {
      dto,
      sent,
      errors: found,
    } = checkBody(RoleBodyDto, body, {
      ignore: [...JSON_LD_KEYS, ...ROLE_READ_ONLY],
      partial: true,
    });
    const errors = found.filter((e) => e.field !== 'name');
    const failed = new Set(errors.map((e) => e.field));
    const values: Partial<RoleColumns> = {};
    if (!failed.has('label')) {
      if (dto.label !== undefined && dto.label !== null) values.label = dto.label;
      else if (sent.has('label') || mode !== 'patch')
        errors.push({ field: 'label', message: 'label is required: a language map like {"en": ["Staff"]}' });
    }
    if (!failed.has('accessService')) {
      const given = dto.accessService;
      if (given === null && sent.has('accessService') && mode === 'patch')
        errors.push({ field: 'accessService', message: 'accessService cannot be removed' });
      else if (given !== undefined && given !== null) {
        const name = refName(given, 'accessServices', customer);
        if (!name)
          errors.push({
            field: 'accessService',
            message: `"${given.slice(0, 200)}" is not an access service name or URL of this customer`,
          });
        else if (!(await this.services.get(customer.id, name)))
          errors.push({
            field: 'accessService',
            message: `there is no access service "${name}" for this customer`,
          });
        else values.accessService = name;
      } else if (mode !== 'patch') values.accessService = CLICKTHROUGH;
    }
    if (values.accessService === CLICKTHROUGH && mode !== 'patch' && dto.accessService === undefined) {
      if (!(await this.services.get(customer.id, CLICKTHROUGH)))
        errors.push({
          field: 'accessService',
          message: 'accessService is required: the customer has no clickthrough access service',
        });
    }
    return { values, errors };
  }
}
