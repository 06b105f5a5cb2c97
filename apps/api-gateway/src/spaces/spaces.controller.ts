import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Space } from '@vellum/db';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { compact, hydraCollection, parsePaging } from '../http/hydra';
import { DLCS_CONTEXT, iso } from '../http/json-ld';
import { Links } from '../http/links.service';
import { notFound, validationProblem } from '../http/problems';
import { JsonBody, ValidBody } from '../http/body-contract';
import { SPACE_READ_ONLY, SpaceBodyDto } from './space.dto';
import { SpacesService } from './spaces.service';

const SPACE_ORDER = ['id', 'name', 'created'] as const;

/** Parses the `{space}` route segment: a positive integer. @throws 404 otherwise. */
export function parseSpaceId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw notFound(`Space ${raw} not found.`);
  return Number(raw);
}

@ApiTags('spaces')
@ApiBasicAuth()
@Controller('customers/:customer/spaces')
@UseGuards(ApiKeyGuard)
export class SpacesController {
  constructor(
    private readonly spaces: SpacesService,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiOperation({ summary: "List a customer's spaces" })
  async list(
    @CurrentCustomer() c: CustomerRef,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    const paging = parsePaging(query, SPACE_ORDER);
    const [rows, total] = await this.spaces.list(
      c.id,
      paging.skip,
      paging.pageSize,
      paging.orderBy,
      paging.descending,
    );
    return hydraCollection(
      this.links.request(req.originalUrl),
      rows.map((s) => this.render(s)),
      total,
      paging,
    );
  }

  @Post()
  @HttpCode(201)
  @JsonBody(SpaceBodyDto, { readOnly: SPACE_READ_ONLY })
  @ApiOperation({ summary: 'Create a space (next free id)' })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @ValidBody() dto: SpaceBodyDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const space = await this.spaces.create(c.id, dto);
    const rendered = this.render(space, 0);
    res.setHeader('Location', rendered['@id']);
    return rendered;
  }

  @Get(':space')
  @ApiOperation({ summary: 'A space' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('space') raw: string) {
    const id = parseSpaceId(raw);
    const space = await this.spaces.get(c.id, id);
    if (!space) throw notFound(`Space ${id} not found.`);
    return this.render(space, await this.spaces.countImages(c.id, id));
  }

  @Put(':space')
  @JsonBody(SpaceBodyDto, { readOnly: SPACE_READ_ONLY })
  @ApiOperation({ summary: 'Create (201) or replace (200) a space with this id' })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') raw: string,
    @ValidBody() dto: SpaceBodyDto,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const id = parseSpaceId(raw);
    this.assertBodyId(body, id);
    const existing = await this.spaces.get(c.id, id);
    if (!existing) {
      const space = await this.spaces.create(c.id, dto, id);
      res.status(201).setHeader('Location', this.links.space(c.id, id));
      return this.render(space, 0);
    }
    const space = await this.spaces.update(c.id, id, dto, true);
    res.status(200);
    return this.render(space, await this.spaces.countImages(c.id, id));
  }

  @Patch(':space')
  @JsonBody(SpaceBodyDto, { readOnly: SPACE_READ_ONLY, partial: true })
  @ApiOperation({ summary: 'Change the supplied fields of a space' })
  async patch(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') raw: string,
    @ValidBody() dto: SpaceBodyDto,
    @Body() body: unknown,
  ) {
    const id = parseSpaceId(raw);
    this.assertBodyId(body, id);
    // PATCH skips absent *and null* fields in validation; a null name would reach the NOT NULL column.
    if ((dto.name as unknown) === null)
      throw validationProblem([{ field: 'name', message: 'name cannot be removed' }]);
    const space = await this.spaces.update(c.id, id, dto, false);
    return this.render(space, await this.spaces.countImages(c.id, id));
  }

  private assertBodyId(body: unknown, id: number): void {
    const sent = (body as Record<string, unknown> | undefined)?.id;
    if (sent !== undefined && sent !== id)
      throw validationProblem([{ field: 'id', message: `id is read-only and must be ${id}` }]);
  }

  private render(s: Space, approximateNumberOfImages?: number) {
    return compact({
      '@context': DLCS_CONTEXT,
      '@id': this.links.space(s.customerId, s.id),
      '@type': 'vocab:Space',
      id: s.id,
      name: s.name,
      created: iso(s.created),
      defaultTags: s.defaultTags,
      defaultRoles: s.defaultRoles,
      defaultMaxWidth: s.defaultMaxWidth,
      defaultOpenFullMax: s.defaultOpenFullMax,
      defaultOpenMaxWidth: s.defaultOpenMaxWidth,
      approximateNumberOfImages,
      images: this.links.images(s.customerId, s.id),
    });
  }
}
