import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type AuthUser, type Prisma, type PrismaClient } from '@vellum/db';
import { CustomerScopedRepository, type Db } from '../resource/customer-scoped.repository';
import { USER_FIELDS } from './user.fields';

/** The columns a user write sets. */
export type UserColumns = Partial<Pick<AuthUser, 'username' | 'passwordHash' | 'roles' | 'enabled'>>;

/** Built-in accounts of one customer (issue 10, `C/users`), scoped in one place ({@link CustomerScopedRepository}). */
@Injectable()
export class UsersRepository extends CustomerScopedRepository<AuthUser, Prisma.AuthUserWhereInput> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, USER_FIELDS, [{ created: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.authUser;
  }

  /** The customer's user `id`, or null. */
  get(customerId: number, id: string, db: Db = this.prisma): Promise<AuthUser | null> {
    return this.findOne(customerId, { id }, db);
  }

  /** True when another user of the customer (not `exceptId`) has `username` (already lower-case). */
  async usernameTaken(customerId: number, username: string, exceptId?: string): Promise<boolean> {
    return (
      (await this.countWhere(customerId, { username, ...(exceptId ? { NOT: { id: exceptId } } : {}) })) > 0
    );
  }

  /** Creates a user. @throws a unique violation when the username is taken. */
  create(customerId: number, values: Required<Pick<UserColumns, 'username' | 'passwordHash'>> & UserColumns) {
    return this.insert(customerId, values);
  }

  /** Sets the given columns; the row, or null when there is none. */
  async update(customerId: number, id: string, values: UserColumns): Promise<AuthUser | null> {
    const n = await this.updateWhere(customerId, { id }, { ...values, modified: new Date() });
    return n ? this.get(customerId, id) : null;
  }

  /** Deletes a user; false when there was none. */
  async remove(customerId: number, id: string): Promise<boolean> {
    return (await this.deleteWhere(customerId, { id })) > 0;
  }
}
