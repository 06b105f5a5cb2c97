import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Customer } from '@vellum/db';
import type { Request, Response } from 'express';
import { AdminOnly, CurrentCustomer, Public } from '../auth/decorators';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { CustomerRef } from '../auth/principal';
import { JsonBody, ValidBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { notFound, validationProblem } from '../http/problems';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiNoContent, ApiResource, ApiShape, registerSchema } from '../resource/openapi';
import { CUSTOMER_FIELDS } from './customer.fields';
import { CreateCustomerDto, PatchCustomerDto } from './customer.dto';
import { CustomersRepository } from './customers.repository';
import { CustomersService } from './customers.service';

/**
 * The links of the entry point (SPEC.md §3.3, §3.1 "links are named after their path segment"): the one list its
 * response and its OpenAPI schema are both made from.
 */
const ENTRY_LINKS: Record<string, { description: string; url: (links: Links) => string }> = {
  customers: { description: 'The customers (admin)', url: (l) => l.customers() },
  originStrategies: {
    description: 'The origin strategy types (public)',
    url: (l) => l.originStrategyTypes(),
  },
  queue: { description: "Every customer's queue, summed (admin)", url: (l) => l.platformQueue() },
  storagePolicies: { description: 'The storage policies (public)', url: (l) => l.storagePolicies() },
  avPresets: { description: 'The AV transcode presets (public)', url: (l) => l.avPresets() },
};

const ENTRY_POINT = registerSchema('EntryPoint', {
  type: 'object',
  description: 'The API entry point (vocab:EntryPoint): links to the top-level collections',
  properties: {
    '@context': { type: 'string' },
    '@id': { type: 'string', format: 'uri' },
    '@type': { type: 'string', enum: ['vocab:EntryPoint'] },
    ...Object.fromEntries(
      Object.entries(ENTRY_LINKS).map(([name, l]) => [
        name,
        { type: 'string', format: 'uri', description: l.description },
      ]),
    ),
  },
  required: ['@id', '@type'],
});

@ApiTags('customers')
@ApiBasicAuth()
@Controller()
@UseGuards(ApiKeyGuard)
export class CustomersController {
  constructor(
    private readonly customers: CustomersService,
    private readonly repo: CustomersRepository,
    private readonly links: Links,
  ) {}

  /** Entry point (SPEC.md §3.3): links to the top-level collections that exist. */
  @Get()
  @Public()
  @ApiShape(200, 'The entry point', { $ref: ENTRY_POINT })
  @ApiOperation({ summary: 'API entry point' })
  entryPoint() {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.entryPoint(),
      '@type': 'vocab:EntryPoint',
      ...Object.fromEntries(Object.entries(ENTRY_LINKS).map(([name, l]) => [name, l.url(this.links)])),
    };
  }

  @Get('customers')
  @AdminOnly()
  @ApiCollection(CUSTOMER_FIELDS)
  @ApiOperation({
    summary: 'List customers (admin; orderBy id, name, displayName, created; filters name, displayName)',
  })
  list(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      CUSTOMER_FIELDS,
      (where, paging) => this.repo.listAll(where, paging),
      (c) => this.render(c),
    );
  }

  @Post('customers')
  @AdminOnly()
  @HttpCode(201)
  @JsonBody(CreateCustomerDto)
  @ApiResource(CUSTOMER_FIELDS, 201)
  @ApiOperation({
    summary:
      'Create a customer (admin): name and displayName required and unique (409); copies the default policies and delivery channels; creates the clickthrough role provider, access service and role',
  })
  async create(@ValidBody() body: CreateCustomerDto, @Res({ passthrough: true }) res: Response) {
    const rendered = this.render(await this.customers.create(body));
    res.setHeader('Location', rendered['@id']);
    return rendered;
  }

  @Get('customers/:customer')
  @ApiResource(CUSTOMER_FIELDS)
  @ApiOperation({ summary: 'A customer' })
  async get(@CurrentCustomer() ref: CustomerRef) {
    const customer = await this.customers.get(ref.id);
    if (!customer) throw notFound(`Customer ${ref.id} not found.`);
    return this.render(customer);
  }

  @Patch('customers/:customer')
  @JsonBody(PatchCustomerDto, { partial: true })
  @ApiResource(CUSTOMER_FIELDS)
  @ApiOperation({
    summary: 'Change the displayName of a customer (name or any other field → 400; 409 when taken)',
  })
  async patch(
    @CurrentCustomer() ref: CustomerRef,
    @ValidBody() dto: PatchCustomerDto,
    @Body() body: unknown,
  ) {
    // PATCH skips absent *and null* fields in validation; displayName is required and cannot be removed.
    if ((body as Record<string, unknown> | undefined)?.displayName === null)
      throw validationProblem([{ field: 'displayName', message: 'displayName cannot be removed' }]);
    return this.render(await this.customers.patch(ref.id, dto));
  }

  @Delete('customers/:customer')
  @AdminOnly()
  @HttpCode(204)
  @ApiNoContent('Deleted, with its spaces, keys, policies and default delivery channels')
  @ApiOperation({
    summary:
      'Delete a customer (admin): 409 while it has any asset, 409 for the admin customer; its keys stop working at once on every replica',
  })
  async delete(@CurrentCustomer() ref: CustomerRef): Promise<void> {
    await this.customers.delete(ref.id);
  }

  private render(c: Customer) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.customer(c.id),
      '@type': CUSTOMER_FIELDS.type,
      ...CUSTOMER_FIELDS.present(c, this.links),
    };
  }
}
