import { Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AV_PRESETS, avPreset, type AvPreset } from '@vellum/contracts';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { Public } from '../auth/decorators';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { notFound } from '../http/problems';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiResource } from '../resource/openapi';
import { AV_PRESET_FIELDS } from './av-preset.fields';

/**
 * The transcoder's AV presets (SPEC.md §4.4: "The transcoder's preset list is published through the API"),
 * public like the other platform lists. `iiif-av` delivery channel policies name these presets.
 */
@ApiTags('delivery channels')
@Controller('avPresets')
@UseGuards(ApiKeyGuard)
@Public()
export class AvPresetsController {
  constructor(private readonly links: Links) {}

  /**
   * The presets as a Hydra collection: paged, `orderBy` `name`/`kind`, filters `kind` and `mediaType` (equality).
   * @throws 400 for a bad paging, order or filter parameter.
   */
  @Get()
  @ApiCollection(AV_PRESET_FIELDS)
  @ApiOperation({ summary: 'The AV transcode presets iiif-av policies may name (public)' })
  list(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      AV_PRESET_FIELDS,
      async (where, paging) => {
        let rows = AV_PRESETS.filter((p) =>
          Object.entries(where).every(([k, v]) => (p as unknown as Record<string, unknown>)[k] === v),
        );
        if (paging.orderBy) {
          const key = paging.orderBy as 'name' | 'kind';
          const dir = paging.descending ? -1 : 1;
          rows = [...rows].sort((a, b) => dir * a[key].localeCompare(b[key]) || a.name.localeCompare(b.name));
        }
        return { rows: rows.slice(paging.skip, paging.skip + paging.pageSize), total: rows.length };
      },
      (p) => this.render(p),
    );
  }

  /** One preset. @throws 404 for a name the transcoder does not have. */
  @Get(':name')
  @ApiResource(AV_PRESET_FIELDS)
  @ApiOperation({ summary: 'One AV transcode preset (public)' })
  get(@Param('name') name: string) {
    const preset = avPreset(name);
    if (!preset) throw notFound(`There is no AV preset "${name.slice(0, 100)}".`);
    return this.render(preset);
  }

  private render(p: AvPreset) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.avPreset(p.name),
      '@type': AV_PRESET_FIELDS.type,
      ...AV_PRESET_FIELDS.present(p, this.links),
    };
  }
}
