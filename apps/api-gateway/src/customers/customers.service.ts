import { Injectable } from '@nestjs/common';
import { isUniqueViolation, type Customer } from '@vellum/db';
import { CustomerApiKeyDeletedV1, CustomerCreatedV1 } from '@vellum/contracts';
import { OutboxRelay, outboxRow } from '@vellum/messaging';
import { ApiKeyService } from '../auth/api-key.service';
import { CustomerDirectory } from '../auth/customer-directory.service';
import { conflict, notFound, validationProblem, type FieldError } from '../http/problems';
import { customerNameProblem } from './customer-name';
import { CustomersRepository } from './customers.repository';

export const SERVICE_NAME = 'api-gateway';

/** The 409 of a taken name/displayName (SPEC.md §3.3: both unique). */
function takenConflict(taken: ('name' | 'displayName')[], values: { name?: string; displayName?: string }) {
  return conflict(
    taken
      .map((f) =>
        f === 'name'
          ? `A customer named "${values.name}" already exists.`
          : `A customer with displayName "${values.displayName}" already exists.`,
      )
      .join(' '),
  );
}

/** The `customer.apikey.deleted.v1` outbox row for keys of one customer. */
export function keysDeletedRow(customerId: number, keys: string[], customerDeleted: boolean) {
  return outboxRow(Object.assign(new CustomerApiKeyDeletedV1(), { customerId, keys, customerDeleted }), {
    producer: SERVICE_NAME,
  });
}

/** Customers (SPEC.md §3.3 "Customers"): create, read, rename (displayName), delete. */
@Injectable()
export class CustomersService {
  constructor(
    private readonly repo: CustomersRepository,
    private readonly relay: OutboxRelay,
    private readonly keys: ApiKeyService,
    private readonly directory: CustomerDirectory,
  ) {}

  /** One customer, or null. */
  get(id: number): Promise<Customer | null> {
    return this.repo.get(id);
  }

  /**
   * Creates a customer (SPEC.md §3.3): validates the name (§1: reserved names in any case → 400), then in one
   * transaction writes the customer, copies of the platform's non-system delivery channel policies and default
   * delivery channel rules, and a `customer.created.v1` outbox row.
   * @param body a validated `CreateCustomerDto` (both fields present).
   * @throws 400 problem for a bad name, 409 when the name or displayName is taken.
   */
  async create(body: { name: string; displayName: string }): Promise<Customer> {
    const errors: FieldError[] = [];
    const nameProblem = customerNameProblem(body.name);
    if (nameProblem) errors.push({ field: 'name', message: nameProblem });
    if (errors.length) throw validationProblem(errors);
    const data = { name: body.name, displayName: body.displayName };
    let result;
    try {
      result = await this.repo.createWithDefaults(data, (c) =>
        outboxRow(Object.assign(new CustomerCreatedV1(), { customerId: c.id, name: c.name }), {
          producer: SERVICE_NAME,
        }),
      );
    } catch (err) {
      // A concurrent create took the name or displayName between the check and the insert.
      if (isUniqueViolation(err)) throw takenConflict(await this.repo.taken(data), data);
      throw err;
    }
    if ('taken' in result) throw takenConflict(result.taken, data);
    this.relay.kick();
    this.directory.remember({ id: result.customer.id, name: result.customer.name, isAdmin: false });
    return result.customer;
  }

  /**
   * `PATCH C` (SPEC.md §3.3): changes the displayName when given (an empty body changes nothing).
   * @throws 404 when the customer is gone, 409 when another customer has that displayName.
   */
  async patch(id: number, body: { displayName?: string }): Promise<Customer> {
    const current = await this.repo.get(id);
    if (!current) throw notFound(`Customer ${id} not found.`);
    const displayName = body.displayName;
    if (displayName === undefined || displayName === current.displayName) return current;
    const taken = await this.repo.taken({ displayName }, id);
    if (taken.length) throw takenConflict(taken, { displayName });
    try {
      const updated = await this.repo.setDisplayName(id, displayName);
      if (!updated) throw notFound(`Customer ${id} not found.`);
      return updated;
    } catch (err) {
      if (isUniqueViolation(err)) throw takenConflict(['displayName'], { displayName });
      throw err;
    }
  }

  /**
   * `DELETE C` (SPEC.md §3.3, admin): deletes the customer and everything it owns, in one transaction with a
   * `customer.apikey.deleted.v1` outbox row naming its keys (every gateway replica then forgets them and the
   * customer at once); this replica forgets them before answering.
   * @throws 404 when it does not exist, 409 for the admin customer or while it has any asset.
   */
  async delete(id: number): Promise<void> {
    const result = await this.repo.deleteCascade(id, (d) => keysDeletedRow(id, d.keys, true));
    if ('refused' in result) {
      switch (result.refused) {
        case 'missing':
          throw notFound(`Customer ${id} not found.`);
        case 'admin':
          throw conflict('The admin customer cannot be deleted.');
        case 'has-assets':
          throw conflict(`Customer ${id} still has assets; delete them first.`);
      }
    }
    this.keys.evictMany(result.keys);
    this.directory.forget(result.customer);
    this.relay.kick();
  }

  /**
   * `POST /setup` (SPEC.md §3.2): the admin customer and its first key, only while no admin exists.
   * @throws 409 once set up.
   */
  async setupAdmin(): Promise<{ customerId: number; key: string; secret: string }> {
    const created = await this.repo.setupAdmin();
    if (!created) throw conflict('The platform is already set up: an admin customer exists.');
    return created;
  }
}
