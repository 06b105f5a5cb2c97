import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiKey } from '@vellum/db';
import type { Request, Response } from 'express';
import { NoBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { notFound } from '../http/problems';
import { listPage } from '../resource/list-page';
import {
  ApiCollection,
  ApiNoContent,
  ApiResource,
  ApiShape,
  componentName,
  registerSchema,
} from '../resource/openapi';
import { API_KEY_FIELDS } from './api-key.fields';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysRepository } from './api-keys.repository';
import { CurrentCustomer } from './decorators';
import { KeysService } from './keys.service';
import type { CustomerRef } from './principal';

// The ApiKey component it extends is registered by the `@ApiResource(API_KEY_FIELDS)` of the routes below.
const WITH_SECRET = registerSchema('ApiKeyWithSecret', {
  description: 'A new API key (vocab:ApiKey) with its secret: the only time the secret is shown',
  allOf: [
    { $ref: `#/components/schemas/${componentName(API_KEY_FIELDS)}` },
    {
      type: 'object',
      required: ['key', 'secret'],
      properties: { secret: { type: 'string', description: 'The secret (HTTP Basic password), shown once' } },
    },
  ],
});

/** API keys of a customer (SPEC.md §3.3 "Keys"); a key of another customer gets 403 (the guard). */
@ApiTags('keys')
@ApiBasicAuth()
@Controller('customers/:customer/keys')
@UseGuards(ApiKeyGuard)
export class KeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly repo: ApiKeysRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(API_KEY_FIELDS)
  @ApiOperation({
    summary: "List a customer's API keys (never their secrets; orderBy key, created, lastUsed)",
  })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      API_KEY_FIELDS,
      (where, paging) => this.repo.page(c.id, where, paging),
      (k) => this.render(k),
    );
  }

  @Post()
  @HttpCode(201)
  @NoBody()
  @ApiShape(201, 'Created: the key and its secret, shown only this once', { $ref: WITH_SECRET })
  @ApiOperation({ summary: 'Create an API key; the response carries the secret, shown only this once' })
  async create(@CurrentCustomer() c: CustomerRef, @Res({ passthrough: true }) res: Response) {
    const created = await this.keys.create(c.id);
    const rendered = {
      ...this.render({ key: created.key, customerId: c.id, created: created.created, lastUsed: null }),
      secret: created.secret,
    };
    res.setHeader('Location', rendered['@id']);
    return rendered;
  }

  @Get(':key')
  @ApiResource(API_KEY_FIELDS)
  @ApiOperation({ summary: 'One API key (without its secret)' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('key') key: string) {
    const row = await this.repo.get(c.id, key);
    if (!row) throw notFound(`Key ${key} not found.`);
    return this.render(row);
  }

  @Delete(':key')
  @HttpCode(204)
  @ApiNoContent('Deleted: the key stops working at once on every gateway replica')
  @ApiOperation({ summary: "Delete an API key (never the admin customer's last key: 409)" })
  async delete(@CurrentCustomer() c: CustomerRef, @Param('key') key: string): Promise<void> {
    await this.keys.delete(c, key);
  }

  private render(k: Pick<ApiKey, 'key' | 'customerId' | 'created' | 'lastUsed'>) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.key(k.customerId, k.key),
      '@type': API_KEY_FIELDS.type,
      ...API_KEY_FIELDS.present(k as ApiKey, this.links),
    };
  }
}
