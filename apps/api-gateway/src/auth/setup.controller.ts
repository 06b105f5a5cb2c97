import { Controller, HttpCode, Inject, Post, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { PRISMA, type PrismaClient } from '@vellum/db';
import { Public } from './decorators';
import { ApiKeyGuard } from './api-key.guard';
import { setupAdmin } from './bootstrap-admin';
import { conflict } from '../http/problems';
import { Links } from '../http/links.service';
import { NoBody } from '../http/body-contract';

@ApiTags('set-up')
@Controller()
@UseGuards(ApiKeyGuard)
export class SetupController {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly links: Links,
  ) {}

  /** SPEC.md §3.2 bootstrap: creates the `admin` customer and returns its first key + secret, once. 409 afterwards. */
  @Post('setup')
  @Public()
  @NoBody()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create the admin customer and its first API key (only while no admin exists)' })
  async setup(@Res({ passthrough: true }) res: Response) {
    const created = await setupAdmin(this.prisma);
    if (!created) throw conflict('The platform is already set up: an admin customer exists.');
    const customer = this.links.customer(created.customerId);
    res.setHeader('Location', customer);
    return {
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@id': `${customer}/keys/${encodeURIComponent(created.key)}`,
      '@type': 'vocab:ApiKey',
      customer,
      key: created.key,
      secret: created.secret,
    };
  }
}
