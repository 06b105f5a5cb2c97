import {
  Body,
  Controller,
  Delete,
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
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody, ValidBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { notFound, validationProblem } from '../http/problems';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { SPACE_READ_ONLY, SpaceBodyDto } from './space.dto';
import { SPACE_FIELDS, type SpaceRow } from './space.fields';
import { SpacesRepository } from './spaces.repository';
import { SpacesService } from './spaces.service';

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
    private readonly repo: SpacesRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(SPACE_FIELDS)
  @ApiOperation({ summary: "List a customer's spaces (orderBy id, name, created; filter name)" })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      SPACE_FIELDS,
      (where, paging) => this.repo.page(c.id, where, paging),
      (s) => this.render(s),
    );
  }

  @Post()
  @HttpCode(201)
  @JsonBody(SpaceBodyDto, { readOnly: SPACE_READ_ONLY })
  @ApiResource(SPACE_FIELDS, 201)
  @ApiOperation({ summary: 'Create a space at the next free id (name required, unique per customer: 409)' })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @ValidBody() dto: SpaceBodyDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    // An echoed read-only `id` is ignored: POST picks the next free id (PUT C/spaces/{id} chooses one).
    const rendered = this.render(await this.spaces.create(c.id, dto));
    res.setHeader('Location', rendered['@id']);
    return rendered;
  }

  @Get(':space')
  @ApiResource(SPACE_FIELDS)
  @ApiOperation({ summary: 'A space, with approximateNumberOfImages' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('space') raw: string) {
    return this.render(await this.spaces.getWithCount(c.id, parseSpaceId(raw)));
  }

  @Put(':space')
  @JsonBody(SpaceBodyDto, { readOnly: SPACE_READ_ONLY, partial: true })
  @ApiResource(SPACE_FIELDS, 201)
  @ApiResource(SPACE_FIELDS, 200, 'Updated: the fields sent changed, the others kept')
  @ApiOperation({
    summary:
      'Create a space at this id (201; name required) or update it (200), keeping omitted fields like PATCH',
  })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') raw: string,
    @ValidBody() dto: SpaceBodyDto,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const id = parseSpaceId(raw);
    this.assertBodyId(body, id);
    const { created, space } = await this.spaces.put(c.id, id, dto);
    const rendered = this.render(space);
    res.status(created ? 201 : 200);
    if (created) res.setHeader('Location', rendered['@id']);
    return rendered;
  }

  @Patch(':space')
  @JsonBody(SpaceBodyDto, { readOnly: SPACE_READ_ONLY, partial: true })
  @ApiResource(SPACE_FIELDS)
  @ApiOperation({ summary: 'Change the supplied fields of a space (null clears a default)' })
  async patch(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') raw: string,
    @ValidBody() dto: SpaceBodyDto,
    @Body() body: unknown,
  ) {
    const id = parseSpaceId(raw);
    this.assertBodyId(body, id);
    return this.render(await this.spaces.update(c.id, id, dto));
  }

  @Delete(':space')
  @HttpCode(204)
  @ApiNoContent('Deleted (it was empty)')
  @ApiOperation({ summary: 'Delete an empty space (409 while it holds any asset)' })
  async delete(@CurrentCustomer() c: CustomerRef, @Param('space') raw: string): Promise<void> {
    await this.spaces.delete(c.id, parseSpaceId(raw));
  }

  private assertBodyId(body: unknown, id: number): void {
    const sent = (body as Record<string, unknown> | undefined)?.id;
    if (sent !== undefined && sent !== id)
      throw validationProblem([{ field: 'id', message: `id is read-only and must be ${id}` }]);
  }

  private render(s: SpaceRow) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.space(s.customerId, s.id),
      '@type': SPACE_FIELDS.type,
      ...SPACE_FIELDS.present(s, this.links),
    };
  }
}
