import { isUniqueViolation } from '@vellum/db';
import type { OutboxRelay } from '@vellum/messaging';
import type { CustomerRef } from '../auth/principal';
import { conflict, notFound, validationProblem, type FieldError } from '../http/problems';
import { accessNameProblem } from './access-control';
import type { NamedAccessRepository } from './named-access.repository';

/** How a body is applied: `create` (POST, PUT at a new name), `replace` (PUT of an existing one), `patch`. */
export type NamedWrite = 'create' | 'replace' | 'patch';

/**
 * The write flow shared by roles, access services and role providers (issue 10): resources named by a
 * `^[a-z0-9][a-z0-9-]*$` name unique per customer (409), created by `POST` (name in the body) or `PUT` at a new
 * name, replaced by `PUT` (omitted optional fields → their defaults), changed field by field by `PATCH`; the name
 * is the resource's URL and cannot change (400). Deleting one that is still used → 409. Every change is announced
 * through the outbox (`customer.access-control.changed.v1`) and the relay is kicked.
 */
export abstract class NamedAccessService<Row> {
  protected constructor(
    protected readonly repo: NamedAccessRepository<Row, object>,
    private readonly relay: OutboxRelay,
    /** `role`, `access service`, `role provider` (in messages). */
    private readonly kind: string,
  ) {}

  /**
   * The columns to write for a body (PATCH: only those sent), validated against the database (references must
   * exist).
   * @throws 400 naming every failed field.
   */
  protected abstract columns(
    customer: CustomerRef,
    name: string,
    body: unknown,
    mode: NamedWrite,
    existing: Row | null,
  ): Promise<{ values: object; errors: FieldError[] }>;

  /** {@link columns}, throwing one 400 with `errors` and every failed field. */
  private async validated(
    customer: CustomerRef,
    name: string,
    body: unknown,
    mode: NamedWrite,
    existing: Row | null,
    errors: FieldError[] = [],
  ): Promise<object> {
    const out = await this.columns(customer, name, body, mode, existing);
    const all = [...errors, ...out.errors];
    if (all.length) throw validationProblem(all);
    return out.values;
  }

  /** The customer's resource `name`. @throws 404. */
  async get(customerId: number, name: string): Promise<Row> {
    const row = accessNameProblem(name) === null ? await this.repo.get(customerId, name) : null;
    if (!row) throw notFound(`There is no ${this.kind} "${name.slice(0, 100)}".`);
    return row;
  }

  /** `POST`: creates the resource named in the body. @throws 400, 409 when the name is taken. */
  async create(customer: CustomerRef, body: unknown): Promise<Row> {
    const sent = body && typeof body === 'object' ? (body as Record<string, unknown>).name : undefined;
    const problem = accessNameProblem(sent);
    const name = problem ? '' : (sent as string);
    const values = await this.validated(
      customer,
      name,
      body,
      'create',
      null,
      problem ? [{ field: 'name', message: problem }] : [],
    );
    if (await this.repo.get(customer.id, name)) throw this.taken(name);
    return this.write(name, () => this.repo.create(customer.id, name, values));
  }

  /**
   * `PUT C/.../{name}`: creates the resource at a new name, or replaces it (omitted optional fields → defaults).
   * @returns the row and whether it was created (201) or replaced (200).
   * @throws 400 (a body `name` other than the URL's, invalid fields), 404 never, 409 a concurrent create.
   */
  async put(customer: CustomerRef, name: string, body: unknown): Promise<{ row: Row; created: boolean }> {
    this.checkUrlName(name, body);
    const existing = await this.repo.get(customer.id, name);
    const values = await this.validated(customer, name, body, existing ? 'replace' : 'create', existing);
    if (!existing)
      return {
        row: await this.write(name, () => this.repo.create(customer.id, name, values)),
        created: true,
      };
    const row = await this.write(name, () => this.repo.update(customer.id, name, values));
    if (!row) throw notFound(`There is no ${this.kind} "${name}".`);
    return { row, created: false };
  }

  /** `PATCH`: changes the supplied fields. @throws 400, 404. */
  async patch(customer: CustomerRef, name: string, body: unknown): Promise<Row> {
    const existing = await this.get(customer.id, name);
    this.checkUrlName(name, body);
    const values = await this.validated(customer, name, body, 'patch', existing);
    if (!Object.keys(values).length) return existing;
    const row = await this.write(name, () => this.repo.update(customer.id, name, values));
    if (!row) throw notFound(`There is no ${this.kind} "${name}".`);
    return row;
  }

  /** `DELETE`. @throws 404, 409 while something still uses it (the message says what). */
  async remove(customerId: number, name: string): Promise<void> {
    await this.get(customerId, name);
    const result = await this.repo.remove(customerId, name);
    if (result.usedBy)
      throw conflict(`The ${this.kind} "${name}" is still used by ${result.usedBy}; change those first.`);
    if (!result.deleted) throw notFound(`There is no ${this.kind} "${name}".`);
    this.relay.kick();
  }

  /** A body's `name`, when sent, must be the URL's (a name is the resource's identity). */
  private checkUrlName(name: string, body: unknown): void {
    const problem = accessNameProblem(name);
    if (problem) throw validationProblem([{ field: 'name', message: `the URL's ${problem}` }]);
    const sent = body && typeof body === 'object' ? (body as Record<string, unknown>).name : undefined;
    if (sent !== undefined && sent !== name)
      throw validationProblem([
        {
          field: 'name',
          message: `name ${JSON.stringify(sent).slice(0, 100)} does not match the URL ("${name}"); a name cannot change`,
        },
      ]);
  }

  private async write<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.relay.kick();
      return result;
    } catch (err) {
      if (isUniqueViolation(err)) throw this.taken(name);
      throw err;
    }
  }

  private taken(name: string) {
    return conflict(`A ${this.kind} called "${name}" already exists for this customer.`);
  }
}
