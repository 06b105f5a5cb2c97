import { Injectable } from '@nestjs/common';
import { OutboxRelay } from '@vellum/messaging';
import { keysDeletedRow } from '../customers/customers.service';
import { conflict, notFound } from '../http/problems';
import { ApiKeyService } from './api-key.service';
import { ApiKeysRepository } from './api-keys.repository';
import type { CustomerRef } from './principal';

/** API key management (SPEC.md §3.3 "Keys"): create, delete. */
@Injectable()
export class KeysService {
  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly auth: ApiKeyService,
    private readonly relay: OutboxRelay,
  ) {}

  /** A new key of the customer: `{ key, secret, created }`, the secret shown only this once. */
  create(customerId: number) {
    return this.repo.create(customerId);
  }

  /**
   * Deletes a key of the customer, with a `customer.apikey.deleted.v1` outbox row in the same transaction: every
   * gateway replica stops accepting it at once (this one before answering).
   * @throws 404 when the customer has no such key, 409 for the admin customer's last key.
   */
  async delete(customer: CustomerRef, key: string): Promise<void> {
    const outcome = await this.repo.deleteKey(customer.id, key, customer.isAdmin, () =>
      keysDeletedRow(customer.id, [key], false),
    );
    if (outcome === 'missing') throw notFound(`Key ${key} not found.`);
    if (outcome === 'last-admin-key') throw conflict("The admin customer's last API key cannot be deleted.");
    this.auth.evict(key);
    this.relay.kick();
  }
}
