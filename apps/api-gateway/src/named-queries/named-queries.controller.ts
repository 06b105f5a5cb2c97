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
import type { NamedQuery, Prisma } from '@vellum/db';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer, CurrentPrincipal } from '../auth/decorators';
import type { CustomerRef, Principal } from '../auth/principal';
import { JsonBody, ValidBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { NamedQueriesRepository } from './named-queries.repository';
import { NamedQueriesService } from './named-queries.service';
import { NamedQueryBodyDto } from './named-query.dto';
import { NAMED_QUERY_FIELDS } from './named-query.fields';

/** Read-only members clients may echo back in a body (ignored). */
const READ_ONLY = ['created'];

/**
 * `C/namedQueries` (SPEC.md §3.3 "Named queries"): a customer's stored templates (SPEC.md §7) and, read-only, every
 * global one. The projections (`/iiif-resource/...`) are served by iiif-delivery.
 */
@ApiTags('named queries')
@ApiBasicAuth()
@Controller('customers/:customer/namedQueries')
@UseGuards(ApiKeyGuard)
export class NamedQueriesController {
  constructor(
    private readonly service: NamedQueriesService,
    private readonly repo: NamedQueriesRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(NAMED_QUERY_FIELDS)
  @ApiOperation({
    summary:
      "List the customer's named queries and every global one (paged; filters name, global; orderBy name, created)",
  })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      NAMED_QUERY_FIELDS,
      (where, paging) => this.repo.pageVisible(c.id, where as Prisma.NamedQueryWhereInput, paging),
      (q) => this.render(c.id, q),
    );
  }

  @Post()
  @HttpCode(201)
  @JsonBody(NamedQueryBodyDto, { readOnly: READ_ONLY })
  @ApiResource(NAMED_QUERY_FIELDS, 201)
  @ApiOperation({
    summary: 'Create a named query (template validated now; global: admin keys only; name taken → 409)',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @CurrentPrincipal() principal: Principal,
    @ValidBody() dto: NamedQueryBodyDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const row = await this.service.create(c.id, dto, principal);
    res.setHeader('Location', this.links.namedQuery(c.id, row.id));
    return this.render(c.id, row);
  }

  @Get(':id')
  @ApiResource(NAMED_QUERY_FIELDS)
  @ApiOperation({ summary: "A named query: the customer's own, or a global one" })
  async get(@CurrentCustomer() c: CustomerRef, @Param('id') id: string) {
    return this.render(c.id, await this.service.get(c.id, id));
  }

  @Put(':id')
  @JsonBody(NamedQueryBodyDto, { readOnly: READ_ONLY, partial: true })
  @ApiResource(NAMED_QUERY_FIELDS)
  @ApiOperation({
    summary:
      "Change the supplied fields of one of the customer's named queries (a global one of another customer → 403)",
  })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @ValidBody() dto: NamedQueryBodyDto,
    @Body() body: unknown,
  ) {
    return this.render(c.id, await this.service.update(c.id, id, dto, body, principal));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({ summary: "Delete one of the customer's named queries" })
  async remove(@CurrentCustomer() c: CustomerRef, @Param('id') id: string): Promise<void> {
    await this.service.remove(c.id, id);
  }

  /** `vocab:NamedQuery`, its `@id` under the customer of the request (so a listed global query resolves). */
  private render(customerId: number, q: NamedQuery) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.namedQuery(customerId, q.id),
      '@type': NAMED_QUERY_FIELDS.type,
      ...NAMED_QUERY_FIELDS.present(q, this.links),
    };
  }
}
