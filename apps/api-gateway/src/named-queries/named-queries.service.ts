import { Injectable } from '@nestjs/common';
import { isUniqueViolation, type NamedQuery } from '@vellum/db';
import type { Principal } from '../auth/principal';
import { conflict, forbidden, notFound, validationProblem, type FieldError } from '../http/problems';
import { NamedQueriesRepository, type NamedQueryColumns } from './named-queries.repository';
import { NAMED_QUERY_FIELDS } from './named-query.fields';
import type { NamedQueryBodyDto } from './named-query.dto';

/** A named-query id in a path: a UUID (anything else cannot exist: 404, never a database error). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Named queries (SPEC.md §3.3 "Named queries", §7): `name` unique per customer (409), the template validated when
 * written (by the body DTO), `global` admin-only. A customer reads its own queries and every global one, and
 * changes only its own.
 */
@Injectable()
export class NamedQueriesService {
  constructor(private readonly repo: NamedQueriesRepository) {}

  /** The query `id` as the customer sees it (own or global). @throws 404. */
  async get(customerId: number, id: string): Promise<NamedQuery> {
    const row = UUID.test(id) ? await this.repo.visible(customerId, id) : null;
    if (!row) throw notFound(`Named query ${id} not found.`);
    return row;
  }

  /**
   * Creates a query. @throws 400 naming `global` when a customer key sets it, 409 when the name is taken.
   */
  async create(customerId: number, dto: NamedQueryBodyDto, principal: Principal): Promise<NamedQuery> {
    this.assertGlobalAllowed(dto, false, principal);
    const data = { name: dto.name, template: dto.template, global: dto.global ?? false };
    if (await this.repo.nameTaken(customerId, dto.name)) throw this.nameConflict(dto.name);
    try {
      return await this.repo.create(customerId, data);
    } catch (err) {
      if (isUniqueViolation(err)) throw this.nameConflict(dto.name);
      throw err;
    }
  }

  /**
   * Changes the supplied fields of the customer's own query (SPEC.md §3.3: "`PUT` changes the fields supplied").
   * @throws 404 unknown id, 403 a global query of another customer, 400 a removed field or a `global` change by a
   *   customer key, 409 a name taken by another of the customer's queries.
   */
  async update(
    customerId: number,
    id: string,
    dto: NamedQueryBodyDto,
    body: unknown,
    principal: Principal,
  ): Promise<NamedQuery> {
    const existing = await this.ownOrThrow(customerId, id);
    const sent = (body ?? {}) as Record<string, unknown>;
    const errors: FieldError[] = [];
    for (const k of NAMED_QUERY_FIELDS.writable)
      if (k in sent && sent[k] === null) errors.push({ field: k, message: `${k} cannot be null` });
    if (errors.length) throw validationProblem(errors);
    this.assertGlobalAllowed(dto, existing.global, principal);
    const data: NamedQueryColumns = NAMED_QUERY_FIELDS.toColumns(dto) as NamedQueryColumns;
    if (data.name !== undefined && data.name !== existing.name) {
      if (await this.repo.nameTaken(customerId, data.name, id)) throw this.nameConflict(data.name);
    }
    try {
      const row = Object.keys(data).length ? await this.repo.update(customerId, id, data) : existing;
      if (!row) throw notFound(`Named query ${id} not found.`);
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw this.nameConflict(data.name ?? existing.name);
      throw err;
    }
  }

  /** Deletes the customer's own query. @throws 404 unknown id, 403 a global query of another customer. */
  async remove(customerId: number, id: string): Promise<void> {
    await this.ownOrThrow(customerId, id);
    if (!(await this.repo.remove(customerId, id))) throw notFound(`Named query ${id} not found.`);
  }

  /** The customer's own query; a global one of another customer → 403 (read-only here); else 404. */
  private async ownOrThrow(customerId: number, id: string): Promise<NamedQuery> {
    const row = await this.get(customerId, id);
    if (row.customerId !== customerId)
      throw forbidden(
        `Named query ${id} is a global query of another customer: it can be used and read here, not changed.`,
      );
    return row;
  }

  /** `global` is admin-only: a customer key may send it only with the value it already has. */
  private assertGlobalAllowed(dto: NamedQueryBodyDto, current: boolean, principal: Principal): void {
    if (dto.global !== undefined && dto.global !== current && !principal.isAdmin)
      throw validationProblem([{ field: 'global', message: 'only an admin key may change global' }]);
  }

  private nameConflict(name: string) {
    return conflict(`A named query called "${name}" already exists for this customer.`);
  }
}
