import { Inject, Injectable } from '@nestjs/common';
import {
  PLATFORM_CUSTOMER_ID,
  PRISMA,
  isUniqueViolation,
  type Customer,
  type PrismaClient,
} from '@vellum/db';
import { CustomerCreatedV1 } from '@vellum/contracts';
import { OutboxRelay, outboxRow } from '@vellum/messaging';
import { conflict, validationProblem } from '../http/problems';
import { customerNameProblem } from './customer-name';

export const SERVICE_NAME = 'api-gateway';

/** Customers (SPEC.md §3.3 "Customers"). */
@Injectable()
export class CustomersService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly relay: OutboxRelay,
  ) {}

  async list(
    skip: number,
    take: number,
    orderBy: 'id' | 'name' | 'created' = 'id',
    descending = false,
  ): Promise<[Customer[], number]> {
    return this.prisma.$transaction([
      this.prisma.customer.findMany({ skip, take, orderBy: { [orderBy]: descending ? 'desc' : 'asc' } }),
      this.prisma.customer.count(),
    ]);
  }

  get(id: number): Promise<Customer | null> {
    return this.prisma.customer.findUnique({ where: { id } });
  }

  /**
   * Creates a customer: validates the name (§1), then in one transaction writes the customer, copies of the
   * platform's non-system delivery channel policies and its default delivery channel rules (as customer rules,
   * space 0), and a CustomerCreatedV1 outbox row.
   * @throws 400 problem for a bad name/displayName, 409 when the name is taken.
   */
  async create(body: { name?: unknown; displayName?: unknown }): Promise<Customer> {
    const errors = [];
    const nameProblem = customerNameProblem(body.name);
    if (nameProblem) errors.push({ field: 'name', message: nameProblem });
    if (
      body.displayName !== undefined &&
      (typeof body.displayName !== 'string' || body.displayName.length > 200)
    ) {
      errors.push({
        field: 'displayName',
        message: 'displayName must be a string of at most 200 characters',
      });
    }
    if (errors.length) throw validationProblem(errors);
    const name = body.name as string;
    const displayName = typeof body.displayName === 'string' && body.displayName ? body.displayName : name;
    try {
      const customer = await this.prisma.$transaction(async (tx) => {
        const created = await tx.customer.create({ data: { name, displayName } });
        const policies = await tx.deliveryChannelPolicy.findMany({
          where: { customerId: PLATFORM_CUSTOMER_ID, system: false },
        });
        if (policies.length) {
          await tx.deliveryChannelPolicy.createMany({
            data: policies.map((p) => ({
              customerId: created.id,
              channel: p.channel,
              name: p.name,
              displayName: p.displayName,
              system: false,
              policyData: p.policyData ?? undefined,
            })),
          });
        }
        const rules = await tx.defaultDeliveryChannel.findMany({
          where: { customerId: PLATFORM_CUSTOMER_ID, spaceId: 0 },
        });
        if (rules.length) {
          await tx.defaultDeliveryChannel.createMany({
            data: rules.map((r) => ({
              customerId: created.id,
              spaceId: 0,
              mediaType: r.mediaType,
              channel: r.channel,
              policy: r.policy,
            })),
          });
        }
        await tx.outboxMessage.create({
          data: outboxRow(Object.assign(new CustomerCreatedV1(), { customerId: created.id, name }), {
            producer: SERVICE_NAME,
          }),
        });
        return created;
      });
      this.relay.kick();
      return customer;
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A customer named "${name}" already exists.`);
      throw err;
    }
  }
}
