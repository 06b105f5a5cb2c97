import { Injectable } from '@nestjs/common';
import { isUniqueViolation, type CustomHeader } from '@vellum/db';
import { OutboxRelay } from '@vellum/messaging';
import { JSON_LD_KEYS } from '../http/body-contract';
import { conflict, notFound, validationProblem, type FieldError } from '../http/problems';
import { checkBody } from '../resource/body-check';
import { RoleRefs } from '../roles/role-refs.service';
import { SpacesService } from '../spaces/spaces.service';
import { CustomHeaderBodyDto } from './custom-header-body.dto';
import { CUSTOM_HEADER_READ_ONLY } from './custom-header.fields';
import { CustomHeadersRepository, type CustomHeaderValues } from './custom-headers.repository';

/** A header id in a URL: a UUID (anything else cannot name one: 404). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type HeaderWrite = 'create' | 'replace' | 'patch';

/**
 * Custom headers (SPEC.md §3.3 "Custom headers", §5): CRUD of a customer's headers, one per header name (any
 * case), space and role (409). Each change is announced through the outbox
 * (`customer.custom-headers.changed.v1`) and the relay is kicked, so delivery replicas see it within seconds.
 */
@Injectable()
export class CustomHeadersService {
  constructor(
    private readonly headers: CustomHeadersRepository,
    private readonly spaces: SpacesService,
    private readonly relay: OutboxRelay,
    private readonly roleRefs: RoleRefs,
  ) {}

  /** One header. @throws 404. */
  async get(customerId: number, id: string): Promise<CustomHeader> {
    const row = UUID.test(id) ? await this.headers.get(customerId, id) : null;
    if (!row) throw notFound(`There is no custom header ${id.slice(0, 60)}.`);
    return row;
  }

  /** Creates a header. @throws 400 (every failed field; an unknown `space` names it), 409 (same key, space, role). */
  async create(customerId: number, body: unknown): Promise<CustomHeader> {
    const values = (await this.parse(customerId, body, 'create')) as CustomHeaderValues;
    await this.refuseClash(customerId, values);
    return this.write(values, () => this.headers.create(customerId, values));
  }

  /** Replaces a header (`space`/`role` omitted → none). @throws 400, 404 (PUT never creates), 409. */
  async replace(customerId: number, id: string, body: unknown): Promise<CustomHeader> {
    await this.get(customerId, id);
    const values = (await this.parse(customerId, body, 'replace')) as CustomHeaderValues;
    await this.refuseClash(customerId, values, id);
    const row = await this.write(values, () => this.headers.update(customerId, id, values));
    if (!row) throw notFound(`There is no custom header ${id}.`);
    return row;
  }

  /** Changes the supplied fields (`null` clears `space`/`role`). @throws 400, 404, 409. */
  async patch(customerId: number, id: string, body: unknown): Promise<CustomHeader> {
    const existing = await this.get(customerId, id);
    const changes = await this.parse(customerId, body, 'patch');
    const merged: CustomHeaderValues = {
      key: changes.key ?? existing.key,
      value: changes.value ?? existing.value,
      space: changes.space !== undefined ? changes.space : existing.space,
      role: changes.role !== undefined ? changes.role : existing.role,
    };
    await this.refuseClash(customerId, merged, id);
    const row = await this.write(merged, () => this.headers.update(customerId, id, changes));
    if (!row) throw notFound(`There is no custom header ${id}.`);
    return row;
  }

  /** Deletes a header. @throws 404. */
  async remove(customerId: number, id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.headers.remove(customerId, id)))
      throw notFound(`There is no custom header ${id.slice(0, 60)}.`);
    this.relay.kick();
  }

  private async refuseClash(customerId: number, values: CustomHeaderValues, exceptId?: string) {
    if (await this.headers.clash(customerId, values, exceptId)) throw this.clash(values);
  }

  private clash(v: CustomHeaderValues) {
    const scope = [v.space ? `space ${v.space}` : '', v.role ? `role ${v.role}` : '']
      .filter(Boolean)
      .join(' and ');
    return conflict(
      `There is already a custom header "${v.key}" for ${scope || 'every asset'}; change that one.`,
    );
  }

  /** Runs a write, kicks the relay on success, maps a unique violation (a concurrent twin) to 409. */
  private async write<T>(values: CustomHeaderValues, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.relay.kick();
      return result;
    } catch (err) {
      if (isUniqueViolation(err)) throw this.clash(values);
      throw err;
    }
  }

  /**
   * Validates a header body (SPEC.md §3.3): the DTO's checks (`key` and `value` required except on PATCH, where
   * they cannot be removed), and `space` an existing space of the customer.
   * @returns the columns to write (PATCH: only those sent).
   * @throws 400 naming every failed field.
   */
  private async parse(
    customerId: number,
    body: unknown,
    mode: HeaderWrite,
  ): Promise<Partial<CustomHeaderValues>> {
    const {
      dto,
      sent,
      errors: found,
    } = checkBody(CustomHeaderBodyDto, body, {
      ignore: [...JSON_LD_KEYS, ...CUSTOM_HEADER_READ_ONLY],
      partial: mode === 'patch',
    });
    const errors: FieldError[] = [...found];
    const failed = new Set(errors.map((e) => e.field));
    const out: Partial<CustomHeaderValues> = {};
    for (const k of ['key', 'value'] as const) {
      if (failed.has(k)) continue;
      if (typeof dto[k] === 'string') out[k] = dto[k];
      else if (sent.has(k)) errors.push({ field: k, message: `${k} cannot be removed` });
    }
    for (const k of ['space', 'role'] as const) {
      if (failed.has(k)) continue;
      if (sent.has(k)) (out as Record<string, unknown>)[k] = dto[k] ?? null;
      else if (mode !== 'patch') out[k] = null;
    }
    if (typeof out.space === 'number' && !(await this.spaces.exists(customerId, out.space)))
      errors.push({ field: 'space', message: `there is no space ${out.space}` });
    // Roles are stored by name (issue 10): the URI or name of one of the customer's roles.
    if (typeof out.role === 'string') {
      const resolved = await this.roleRefs.resolveAll(customerId, [{ field: 'role', values: [out.role] }]);
      errors.push(...resolved.errors);
      out.role = resolved.names[0][0] ?? out.role;
    }
    if (errors.length) throw validationProblem(errors);
    return out;
  }
}
