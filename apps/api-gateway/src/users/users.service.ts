import { Injectable } from '@nestjs/common';
import { hashPassword } from '@vellum/access';
import { isUniqueViolation, type AuthUser } from '@vellum/db';
import { JSON_LD_KEYS } from '../http/body-contract';
import { conflict, notFound, validationProblem, type FieldError } from '../http/problems';
import { checkBody } from '../resource/body-check';
import { RoleRefs } from '../roles/role-refs.service';
import { UserBodyDto } from './user.dto';
import { USER_READ_ONLY } from './user.fields';
import { UsersRepository, type UserColumns } from './users.repository';

/** A user id in a URL: a UUID (anything else cannot name one: 404). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type UserWrite = 'create' | 'replace' | 'patch';

/**
 * Built-in accounts (issue 10, SPEC.md §3.3 `C/users`): `username` stored lower-case and unique per customer
 * (409), `password` ≥ 8 characters hashed with scrypt (@vellum/access `hashPassword`; required on create, kept
 * when a PUT or PATCH omits it), `roles` names or URIs of existing roles (400) stored as names, `enabled`.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly roleRefs: RoleRefs,
  ) {}

  /** One user. @throws 404. */
  async get(customerId: number, id: string): Promise<AuthUser> {
    const row = UUID.test(id) ? await this.users.get(customerId, id) : null;
    if (!row) throw notFound(`There is no user ${id.slice(0, 60)}.`);
    return row;
  }

  /** Creates a user. @throws 400 (every failed field), 409 (username taken). */
  async create(customerId: number, body: unknown): Promise<AuthUser> {
    const values = await this.parse(customerId, body, 'create');
    return this.write(customerId, values, undefined, () =>
      this.users.create(customerId, values as Required<Pick<UserColumns, 'username' | 'passwordHash'>>),
    );
  }

  /** Replaces a user (password omitted → kept, roles omitted → none, enabled omitted → true). @throws 400, 404, 409. */
  async replace(customerId: number, id: string, body: unknown): Promise<AuthUser> {
    await this.get(customerId, id);
    const values = await this.parse(customerId, body, 'replace');
    return this.write(customerId, values, id, () => this.users.update(customerId, id, values));
  }

  /** Changes the supplied fields. @throws 400, 404, 409. */
  async patch(customerId: number, id: string, body: unknown): Promise<AuthUser> {
    const existing = await this.get(customerId, id);
    const values = await this.parse(customerId, body, 'patch');
    if (!Object.keys(values).length) return existing;
    return this.write(customerId, values, id, () => this.users.update(customerId, id, values));
  }

  /** Deletes a user. @throws 404. */
  async remove(customerId: number, id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.users.remove(customerId, id)))
      throw notFound(`There is no user ${id.slice(0, 60)}.`);
  }

  private async write(
    customerId: number,
    values: UserColumns,
    exceptId: string | undefined,
    work: () => Promise<AuthUser | null>,
  ): Promise<AuthUser> {
    if (
      values.username !== undefined &&
      (await this.users.usernameTaken(customerId, values.username, exceptId))
    )
      throw this.taken(values.username);
    try {
      const row = await work();
      if (!row) throw notFound(`There is no user ${exceptId}.`);
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw this.taken(values.username ?? '');
      throw err;
    }
  }

  private taken(username: string) {
    return conflict(`A user called "${username}" already exists for this customer.`);
  }

  /** Validates a body; the columns to write (PATCH: only those sent). @throws 400 naming every failed field. */
  private async parse(customerId: number, body: unknown, mode: UserWrite): Promise<UserColumns> {
    const {
      dto,
      sent,
      errors: found,
    } = checkBody(UserBodyDto, body, {
      ignore: [...JSON_LD_KEYS, ...USER_READ_ONLY],
      partial: mode !== 'create',
    });
    const errors: FieldError[] = [...found];
    const failed = new Set(errors.map((e) => e.field));
    const out: UserColumns = {};
    if (!failed.has('username')) {
      if (typeof dto.username === 'string') out.username = dto.username.toLowerCase();
      else if (sent.has('username') || mode === 'replace')
        errors.push({ field: 'username', message: 'username is required' });
    }
    if (!failed.has('password')) {
      if (typeof dto.password === 'string') out.passwordHash = await hashPassword(dto.password);
      else if (sent.has('password'))
        errors.push({ field: 'password', message: 'password cannot be removed' });
    }
    if (!failed.has('enabled')) {
      if (typeof dto.enabled === 'boolean') out.enabled = dto.enabled;
      else if (sent.has('enabled') && mode === 'patch')
        errors.push({ field: 'enabled', message: 'enabled must be true or false' });
      else if (mode !== 'patch') out.enabled = true;
    }
    if (!failed.has('roles')) {
      if (Array.isArray(dto.roles)) {
        const resolved = await this.roleRefs.resolveAll(customerId, [{ field: 'roles', values: dto.roles }]);
        errors.push(...resolved.errors);
        out.roles = resolved.names[0];
      } else if (sent.has('roles') || mode !== 'patch') out.roles = [];
    }
    if (errors.length) throw validationProblem(errors);
    return out;
  }
}
