import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { IsText } from '@vellum/common';
import { PRISMA, type Customer, type PrismaClient } from '@vellum/db';
import { IsOptional, ValidateBy } from 'class-validator';
import { AdminOnly, CurrentCustomer, Public } from '../auth/decorators';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { ApiKeyService } from '../auth/api-key.service';
import { CustomerDirectory } from '../auth/customer-directory.service';
import type { CustomerRef } from '../auth/principal';
import { compact, hydraCollection, parsePaging } from '../http/hydra';
import { DLCS_CONTEXT, iso } from '../http/json-ld';
import { Links } from '../http/links.service';
import { conflict, notFound } from '../http/problems';
import { JsonBody, NoBody, ValidBody } from '../http/body-contract';
import { LIMITS } from '../http/limits';
import { customerNameProblem } from './customer-name';
import { CustomersService } from './customers.service';

/** Validates a customer name with {@link customerNameProblem} (SPEC.md §1 "Customer"). */
function IsCustomerName(): PropertyDecorator {
  return ValidateBy({
    name: 'isCustomerName',
    validator: {
      validate: (v: unknown) => customerNameProblem(v) === null,
      defaultMessage: (args) => customerNameProblem(args?.value) ?? 'name is invalid',
    },
  });
}

/** The body of `POST /customers` (SPEC.md §3.3 "Customers"); unknown fields (`isAdmin`...) → 400. */
export class CreateCustomerDto {
  @ApiProperty({
    description:
      'URL-safe unique name: ^[a-zA-Z0-9_.-]+$, ≤ 60 chars, not "admin", not v<digits>, not all digits',
    example: 'wellcome',
    maxLength: LIMITS.customerName,
  })
  @IsCustomerName()
  name!: string;
  @ApiPropertyOptional({
    description: `Human-readable name (defaults to name; ≤ ${LIMITS.displayName} chars)`,
    example: 'Wellcome Collection',
    maxLength: LIMITS.displayName,
  })
  @IsOptional()
  @IsText({ max: LIMITS.displayName })
  displayName?: string;
}

const CUSTOMER_ORDER = ['id', 'name', 'created'] as const;
const KEY_ORDER = ['key', 'created'] as const;

@ApiTags('customers')
@ApiBasicAuth()
@Controller()
@UseGuards(ApiKeyGuard)
export class CustomersController {
  constructor(
    private readonly customers: CustomersService,
    private readonly directory: CustomerDirectory,
    private readonly keys: ApiKeyService,
    private readonly links: Links,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
  ) {}

  /** Entry point (SPEC.md §3.3): links to the top-level collections that exist. */
  @Get()
  @Public()
  @ApiOperation({ summary: 'API entry point' })
  entryPoint() {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.entryPoint(),
      '@type': 'vocab:EntryPoint',
      customers: this.links.customers(),
      avPresets: this.links.avPresets(),
    };
  }

  @Get('customers')
  @AdminOnly()
  @ApiOperation({ summary: 'List customers (admin)' })
  async list(@Req() req: Request, @Query() query: Record<string, unknown>) {
    const paging = parsePaging(query, CUSTOMER_ORDER);
    const [rows, total] = await this.customers.list(
      paging.skip,
      paging.pageSize,
      paging.orderBy,
      paging.descending,
    );
    return hydraCollection(
      this.links.request(req.originalUrl),
      rows.map((c) => this.render(c)),
      total,
      paging,
    );
  }

  @Post('customers')
  @AdminOnly()
  @HttpCode(201)
  @JsonBody(CreateCustomerDto)
  @ApiOperation({ summary: 'Create a customer (admin)' })
  async create(@ValidBody() body: CreateCustomerDto, @Res({ passthrough: true }) res: Response) {
    const customer = await this.customers.create(body);
    this.directory.remember({ id: customer.id, name: customer.name, isAdmin: customer.isAdmin });
    const rendered = this.render(customer);
    res.setHeader('Location', rendered['@id']);
    return rendered;
  }

  @Get('customers/:customer')
  @ApiOperation({ summary: 'A customer' })
  async get(@CurrentCustomer() ref: CustomerRef) {
    const customer = await this.customers.get(ref.id);
    if (!customer) throw notFound(`Customer ${ref.id} not found.`);
    return this.render(customer);
  }

  @Get('customers/:customer/keys')
  @ApiOperation({ summary: "List a customer's API keys (never their secrets)" })
  async listKeys(
    @CurrentCustomer() c: CustomerRef,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    const paging = parsePaging(query, KEY_ORDER);
    const where = { customerId: c.id };
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.apiKey.findMany({
        where,
        skip: paging.skip,
        take: paging.pageSize,
        orderBy: { [paging.orderBy ?? 'created']: paging.descending ? 'desc' : 'asc' },
      }),
      this.prisma.apiKey.count({ where }),
    ]);
    return hydraCollection(
      this.links.request(req.originalUrl),
      rows.map((k) => this.renderKey(c.id, k)),
      total,
      paging,
    );
  }

  @Post('customers/:customer/keys')
  @HttpCode(201)
  @NoBody()
  @ApiOperation({ summary: 'Create an API key; the response carries the secret, shown only this once' })
  async createKey(@CurrentCustomer() c: CustomerRef, @Res({ passthrough: true }) res: Response) {
    const created = await this.keys.createKey(c.id);
    const rendered = {
      ...this.renderKey(c.id, { key: created.key, created: created.created }),
      secret: created.secret,
    };
    res.setHeader('Location', rendered['@id']);
    return rendered;
  }

  @Get('customers/:customer/keys/:key')
  @ApiOperation({ summary: 'One API key (without its secret)' })
  async getKey(@CurrentCustomer() c: CustomerRef, @Param('key') key: string) {
    const row = await this.prisma.apiKey.findFirst({ where: { key, customerId: c.id } });
    if (!row) throw notFound(`Key ${key} not found.`);
    return this.renderKey(c.id, row);
  }

  @Delete('customers/:customer/keys/:key')
  @HttpCode(204)
  @ApiOperation({ summary: "Delete an API key (never the admin customer's last key)" })
  async deleteKey(@CurrentCustomer() c: CustomerRef, @Param('key') key: string) {
    await this.prisma.$transaction(async (tx) => {
      const row = await tx.apiKey.findFirst({ where: { key, customerId: c.id } });
      if (!row) throw notFound(`Key ${key} not found.`);
      if (c.isAdmin) {
        // Lock the admin's keys so two concurrent deletes cannot both pass the "not the last" check.
        await tx.$queryRaw`SELECT "key" FROM "api_keys" WHERE "customerId" = ${c.id} FOR UPDATE`;
        const count = await tx.apiKey.count({ where: { customerId: c.id } });
        if (count <= 1) throw conflict("The admin customer's last API key cannot be deleted.");
      }
      await tx.apiKey.delete({ where: { key } });
    });
    this.keys.evict(key);
  }

  private render(c: Customer) {
    return compact({
      '@context': DLCS_CONTEXT,
      '@id': this.links.customer(c.id),
      '@type': 'vocab:Customer',
      id: c.id,
      name: c.name,
      displayName: c.displayName,
      administrator: c.isAdmin || undefined,
      created: iso(c.created),
      keys: this.links.keys(c.id),
      spaces: this.links.spaces(c.id),
      queue: this.links.queue(c.id),
      deliveryChannelPolicies: this.links.deliveryChannelPolicies(c.id),
      defaultDeliveryChannels: this.links.defaultDeliveryChannels(c.id),
      customHeaders: this.links.customHeaders(c.id),
    });
  }

  private renderKey(customerId: number, k: { key: string; created: Date; lastUsed?: Date | null }) {
    return compact({
      '@context': DLCS_CONTEXT,
      '@id': this.links.key(customerId, k.key),
      '@type': 'vocab:ApiKey',
      key: k.key,
      created: iso(k.created),
      lastUsed: iso(k.lastUsed ?? undefined),
    });
  }
}
