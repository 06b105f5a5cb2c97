import { Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CustomersService } from '../customers/customers.service';
import { NoBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { ApiShape, registerSchema } from '../resource/openapi';
import { ApiKeyGuard } from './api-key.guard';
import { Public } from './decorators';

const SETUP = registerSchema('SetupResult', {
  type: 'object',
  description: "The admin customer's first API key (vocab:ApiKey) and its secret, shown only this once",
  properties: {
    '@context': { type: 'string' },
    '@id': { type: 'string', format: 'uri' },
    '@type': { type: 'string', enum: ['vocab:ApiKey'] },
    customer: { type: 'string', format: 'uri', description: 'The admin customer' },
    key: { type: 'string' },
    secret: { type: 'string' },
  },
  required: ['@id', '@type', 'key', 'secret'],
});

@ApiTags('set-up')
@Controller()
@UseGuards(ApiKeyGuard)
export class SetupController {
  constructor(
    private readonly customers: CustomersService,
    private readonly links: Links,
  ) {}

  /** SPEC.md §3.2 bootstrap: creates the `admin` customer and returns its first key + secret, once. 409 afterwards. */
  @Post('setup')
  @Public()
  @NoBody()
  @HttpCode(201)
  @ApiShape(201, 'Created: the admin customer and its first key', { $ref: SETUP })
  @ApiOperation({ summary: 'Create the admin customer and its first API key (only while no admin exists)' })
  async setup(@Res({ passthrough: true }) res: Response) {
    const created = await this.customers.setupAdmin();
    const customer = this.links.customer(created.customerId);
    res.setHeader('Location', customer);
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.key(created.customerId, created.key),
      '@type': 'vocab:ApiKey',
      customer,
      key: created.key,
      secret: created.secret,
    };
  }
}
