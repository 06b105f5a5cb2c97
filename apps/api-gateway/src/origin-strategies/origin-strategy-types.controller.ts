import { Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ORIGIN_STRATEGY_TYPES, originStrategyType, type OriginStrategyType } from '@vellum/secrets';
import type { Request } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { Public } from '../auth/decorators';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { notFound } from '../http/problems';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiResource } from '../resource/openapi';
import { ORIGIN_STRATEGY_TYPE_FIELDS } from './origin-strategy.fields';

/**
 * The public list of origin strategy types (SPEC.md §3.2: no key needed; §3.3 "Origin strategies"):
 * `GET /originStrategies` and `GET /originStrategies/{name}`, each with `requiresCredentials` and `optimisable`.
 */
@ApiTags('origin strategies')
@Controller('originStrategies')
@UseGuards(ApiKeyGuard)
export class OriginStrategyTypesController {
  constructor(private readonly links: Links) {}

  @Get()
  @Public()
  @ApiCollection(ORIGIN_STRATEGY_TYPE_FIELDS)
  @ApiOperation({ summary: 'The origin strategy types a rule may name (public)' })
  list(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      ORIGIN_STRATEGY_TYPE_FIELDS,
      async (_where, paging) => ({
        rows: ORIGIN_STRATEGY_TYPES.slice(paging.skip, paging.skip + paging.pageSize),
        total: ORIGIN_STRATEGY_TYPES.length,
      }),
      (t) => this.render(t),
      { filters: false },
    );
  }

  @Get(':name')
  @Public()
  @ApiResource(ORIGIN_STRATEGY_TYPE_FIELDS)
  @ApiOperation({ summary: 'One origin strategy type (public)' })
  get(@Param('name') name: string) {
    const type = originStrategyType(name);
    if (!type) throw notFound(`Origin strategy type ${name} not found.`);
    return this.render(type);
  }

  private render(t: OriginStrategyType) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.originStrategyType(t.name),
      '@type': ORIGIN_STRATEGY_TYPE_FIELDS.type,
      ...ORIGIN_STRATEGY_TYPE_FIELDS.present(t, this.links),
    };
  }
}
