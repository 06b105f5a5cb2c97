import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { OriginStrategy, Prisma } from '@vellum/db';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody, ValidBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { OriginStrategiesRepository } from './origin-strategies.repository';
import { OriginStrategiesService } from './origin-strategies.service';
import { OriginStrategyBodyDto } from './origin-strategy.dto';
import { ORIGIN_STRATEGY_FIELDS } from './origin-strategy.fields';

/** Read-only members clients may echo back in a body (ignored). */
const READ_ONLY = ['created'];

/** `C/originStrategies` (SPEC.md §3.3 "Origin strategies"): a customer's rules for fetching its origins. */
@ApiTags('origin strategies')
@ApiBasicAuth()
@Controller('customers/:customer/originStrategies')
@UseGuards(ApiKeyGuard)
export class OriginStrategiesController {
  constructor(
    private readonly service: OriginStrategiesService,
    private readonly repo: OriginStrategiesRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(ORIGIN_STRATEGY_FIELDS)
  @ApiOperation({
    summary:
      "List the customer's origin strategies in evaluation order (paged; filters strategy, optimised; orderBy strategy, regex, order, created); credentials shown as xxx",
  })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      ORIGIN_STRATEGY_FIELDS,
      (where, paging) => this.repo.page(c.id, where as Prisma.OriginStrategyWhereInput, paging),
      (r) => this.render(r),
    );
  }

  @Post()
  @HttpCode(201)
  @JsonBody(OriginStrategyBodyDto, { readOnly: READ_ONLY })
  @ApiResource(ORIGIN_STRATEGY_FIELDS, 201)
  @ApiOperation({
    summary:
      'Create an origin strategy (credentials required for basic-http-authentication, sftp, ftp; refused for default, s3-ambient; regex taken → 409)',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @ValidBody() dto: OriginStrategyBodyDto,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const row = await this.service.create(c.id, dto, body);
    res.setHeader('Location', this.links.originStrategy(c.id, row.id));
    return this.render(row);
  }

  @Get(':id')
  @ApiResource(ORIGIN_STRATEGY_FIELDS)
  @ApiOperation({ summary: 'An origin strategy (credentials shown as xxx)' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('id') id: string) {
    return this.render(await this.service.get(c.id, id));
  }

  @Put(':id')
  @JsonBody(OriginStrategyBodyDto, { readOnly: READ_ONLY, partial: true })
  @ApiResource(ORIGIN_STRATEGY_FIELDS)
  @ApiOperation({
    summary: 'Change the supplied fields of an origin strategy (credentials omitted or "xxx" = kept)',
  })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @Param('id') id: string,
    @ValidBody() dto: OriginStrategyBodyDto,
    @Body() body: unknown,
  ) {
    return this.render(await this.service.update(c.id, id, dto, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({ summary: 'Delete an origin strategy' })
  async remove(@CurrentCustomer() c: CustomerRef, @Param('id') id: string): Promise<void> {
    await this.service.remove(c.id, id);
  }

  private render(r: OriginStrategy) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.originStrategy(r.customerId, r.id),
      '@type': ORIGIN_STRATEGY_FIELDS.type,
      ...ORIGIN_STRATEGY_FIELDS.present(r, this.links),
    };
  }
}
