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
import { ApiBasicAuth, ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JSON_LD_KEYS, JsonBody, NoBody } from '../http/body-contract';
import { hydraCollection, HYDRA_CONTEXT, parsePaging } from '../http/hydra';
import { Links } from '../http/links.service';
import { notFound } from '../http/problems';
import { listPage } from '../resource/list-page';
import {
  ApiCollection,
  ApiNoContent,
  ApiResource,
  ApiShape,
  collectionSchema,
  registerSchema,
} from '../resource/openapi';
import { parseSpaceId } from '../spaces/spaces.controller';
import { SpacesService } from '../spaces/spaces.service';
import { AssetBodyDto, LEGACY_FIELDS, parseAssetBody, READ_ONLY_FIELDS } from './asset-input';
import { ASSET_METADATA_FIELDS, renderAssetMetadata } from './asset-metadata.fields';
import { assetFilterOf } from './asset-query';
import { COLLECTION_ECHO, MAX_BULK_MEMBERS, parseDeleteFrom } from './asset-refs';
import { ASSET_FIELDS } from './asset.fields';
import { AssetPresenter } from './asset.presenter';
import { AssetsBulkService, SPACE_PATCH_FIELDS } from './assets-bulk.service';
import { AssetsRepository } from './assets.repository';
import { AssetsService, type AssetWriteMethod, type AssetWriteResult } from './assets.service';
import { ApiUploadBody, AssetUploadBodyDto, withoutFile } from './upload/upload-body';
import { UploadService } from './upload/upload.service';

/**
 * Asset bodies: unknown fields → 400 globally; values, read-only fields and the legacy fields
 * (`thumbnailPolicy`, `imageOptimisationPolicy` → 400 naming them) are checked by parseAssetBody.
 */
const ASSET_BODY = {
  readOnly: [...READ_ONLY_FIELDS, ...Object.keys(LEGACY_FIELDS)],
  validate: false,
  description:
    `A vocab:Image. Unknown fields → 400. Read-only members (${[...JSON_LD_KEYS, ...READ_ONLY_FIELDS].join(', ')}) ` +
    'may be echoed with their current value; a different value → 400 naming it. The legacy thumbnailPolicy and ' +
    'imageOptimisationPolicy → 400. PUT and PATCH keep omitted fields; null, [] or "" clears one.',
  // Without the stored asset, echoed @id/@type cannot be compared: only the other problems are listed.
  precheck: (body: unknown) =>
    parseAssetBody(body, { deferDerived: true }).errors.filter(
      (e) => !(JSON_LD_KEYS as readonly string[]).includes(e.field),
    ),
};

/** PUT/POST bodies may also carry the file (base64 `file`); multipart bodies are read by the UploadService. */
const ASSET_UPLOAD_BODY = {
  ...ASSET_BODY,
  precheck: (body: unknown) => ASSET_BODY.precheck(withoutFile(body)),
};

/** The body of `PATCH C/spaces/{s}/images`: a Hydra Collection of partial assets (checked by the bulk service). */
export class SpaceImagesPatchDto {
  @ApiProperty({
    type: [AssetBodyDto],
    description: `Partial assets (1 to ${MAX_BULK_MEMBERS}), each naming its asset by bare id and sending only ${SPACE_PATCH_FIELDS.join(', ')}`,
    maxItems: MAX_BULK_MEMBERS,
  })
  @IsOptional()
  member?: unknown;
}

const REINGEST_OPERATION = registerSchema('ReingestOperation', {
  type: 'object',
  description: 'What the reingest link does: POST it with no body to process the asset again',
  properties: {
    '@context': { type: 'string' },
    '@id': { type: 'string', format: 'uri' },
    '@type': { type: 'string', enum: ['hydra:Operation'] },
    method: { type: 'string', enum: ['POST'] },
    title: { type: 'string' },
    expects: { type: 'string' },
    returns: { type: 'string' },
    asset: { type: 'string', format: 'uri' },
  },
});

@ApiTags('assets')
@ApiBasicAuth()
@Controller('customers/:customer/spaces/:space/images')
@UseGuards(ApiKeyGuard)
export class AssetsController {
  constructor(
    private readonly assets: AssetsService,
    private readonly bulk: AssetsBulkService,
    private readonly presenter: AssetPresenter,
    private readonly links: Links,
    private readonly repo: AssetsRepository,
    private readonly spaces: SpacesService,
    private readonly uploads: UploadService,
  ) {}

  @Get()
  @ApiCollection(ASSET_FIELDS)
  @ApiOperation({
    summary:
      'List the assets of a space (paged, filtered: q, string1..3, number1..3, tags, manifests; ordered)',
  })
  async list(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    const spaceId = parseSpaceId(rawSpace);
    if (!(await this.spaces.exists(c.id, spaceId))) throw notFound(`Space ${spaceId} not found.`);
    return listPage(
      this.links.request(req.originalUrl),
      query,
      ASSET_FIELDS,
      (filter, paging) => this.repo.page(c.id, { ...assetFilterOf(filter, spaceId), spaceId }, paging),
      (a) => this.presenter.render(a),
    );
  }

  @Patch()
  @JsonBody(SpaceImagesPatchDto, { readOnly: COLLECTION_ECHO, validate: false })
  @ApiCollection(ASSET_FIELDS, 'The patched assets, in request order')
  @ApiOperation({
    summary: `Change metadata fields (${SPACE_PATCH_FIELDS.join(', ')}) of many assets of the space at once; any other field → 400 naming member[i].field; one asset.updated.v1 each`,
  })
  async patchMany(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Req() req: Request,
    @Body() body: unknown,
  ) {
    const spaceId = parseSpaceId(rawSpace);
    const patched = await this.bulk.patchSpace(c.id, spaceId, body);
    return hydraCollection(
      this.links.request(req.originalUrl),
      patched.map((a) => this.presenter.render(a)),
      patched.length,
      { page: 1, pageSize: Math.max(1, patched.length) },
    );
  }

  @Post()
  @JsonBody(AssetUploadBodyDto, ASSET_UPLOAD_BODY)
  @ApiUploadBody()
  @ApiResource(ASSET_FIELDS, 201)
  @ApiResource(ASSET_FIELDS, 202, 'Accepted: still ingesting at the timeout')
  @ApiOperation({
    summary:
      'Create an asset (id given or minted: a UUID) and ingest it; 201 when done, 202 if still ingesting at the timeout',
  })
  create(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.write('POST', c, rawSpace, undefined, body, res, req);
  }

  @Get(':id')
  @ApiResource(ASSET_FIELDS)
  @ApiOperation({ summary: 'An asset (vocab:Image)' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('space') rawSpace: string, @Param('id') id: string) {
    return this.presenter.render(await this.found(c, rawSpace, id));
  }

  @Put(':id')
  @JsonBody(AssetUploadBodyDto, ASSET_UPLOAD_BODY)
  @ApiUploadBody()
  @ApiResource(ASSET_FIELDS, 201)
  @ApiResource(ASSET_FIELDS, 200, 'Updated (fields the body omits are kept)')
  @ApiResource(ASSET_FIELDS, 202, 'Accepted: still ingesting at the timeout')
  @ApiOperation({
    summary:
      'Create (201) or update (200) an asset, keeping fields the body omits; ingests (synchronously for images and files; audio/video answer at once with ingesting: true; 202 past the timeout) only when new or when origin, deliveryChannels, mediaType, an access size or the role restriction changes',
  })
  put(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.write('PUT', c, rawSpace, id, body, res, req);
  }

  @Patch(':id')
  @JsonBody(AssetBodyDto, ASSET_BODY)
  @ApiResource(ASSET_FIELDS)
  @ApiResource(ASSET_FIELDS, 202, 'Accepted: still ingesting at the timeout')
  @ApiOperation({
    summary:
      'Change the supplied fields; reingests only when origin, deliveryChannels, mediaType, an access size or the role restriction changes',
  })
  patch(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.write('PATCH', c, rawSpace, id, body, res);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContent(
    'Deleted: the asset, its storage accounting and pending batch membership; derivatives and caches follow',
  )
  @ApiQuery({
    name: 'deleteFrom',
    required: false,
    description: 'Comma-separated: cdn, internalCache (passed on in asset.deleted.v1)',
    schema: { type: 'string', example: 'cdn,internalCache' },
  })
  @ApiOperation({
    summary:
      'Delete an asset: its row, storage accounting and pending batch membership in one transaction; its objects and delivery cache entries are removed by the asset.deleted.v1 consumers',
  })
  async delete(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Param('id') id: string,
    @Query('deleteFrom') deleteFrom: unknown,
  ): Promise<void> {
    const spaceId = parseSpaceId(rawSpace);
    await this.assets.delete(c.id, spaceId, id, parseDeleteFrom(deleteFrom));
  }

  @Post(':id/reingest')
  @NoBody()
  @HttpCode(200)
  @ApiResource(ASSET_FIELDS, 200, 'Reprocessed: the finished asset')
  @ApiResource(ASSET_FIELDS, 202, 'Accepted: still ingesting (audio/video, or past the timeout)')
  @ApiOperation({
    summary:
      'Process the asset again from its origin (a new ingest attempt, priority lane), as PUT does: the finished asset, or 202 with ingesting: true',
  })
  async reingest(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const spaceId = parseSpaceId(rawSpace);
    return this.answer(res, c, spaceId, (signal) => this.assets.reingest(c.id, spaceId, id, signal));
  }

  @Get(':id/reingest')
  @ApiShape(200, 'What the reingest link does (POST it)', { $ref: REINGEST_OPERATION })
  @ApiOperation({
    summary: 'Describes the reingest operation of an asset (the link resolves; POST performs it)',
  })
  async reingestOperation(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Param('id') id: string,
  ) {
    const a = await this.found(c, rawSpace, id);
    return {
      '@context': HYDRA_CONTEXT,
      '@id': this.links.imageReingest(a.customerId, a.spaceId, a.id),
      '@type': 'hydra:Operation',
      method: 'POST',
      title: 'Reingest the asset: fetch its origin again and remake its derivatives',
      expects: 'owl:Nothing',
      returns: 'vocab:Image',
      asset: this.links.image(a.customerId, a.spaceId, a.id),
    };
  }

  @Get(':id/metadata')
  @ApiResource(ASSET_METADATA_FIELDS)
  @ApiOperation({
    summary:
      'Processing details of an asset: pyramid, open/auth thumbnail sizes, stored original, transcodes',
  })
  async metadata(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Param('id') id: string,
  ) {
    return renderAssetMetadata(await this.found(c, rawSpace, id), this.links);
  }

  @Get(':id/adjuncts')
  @ApiShape(
    200,
    'The adjuncts of the asset: an empty Hydra collection until adjuncts exist',
    collectionSchema({ type: 'object' }),
  )
  @ApiOperation({ summary: 'Adjuncts of an asset (an empty collection for now)' })
  async adjuncts(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string,
    @Param('id') id: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    const paging = parsePaging(query, []);
    await this.found(c, rawSpace, id);
    return hydraCollection(this.links.request(req.originalUrl), [], 0, paging);
  }

  /** The asset of the route. @throws 404 (space id malformed, or no such asset). */
  private async found(c: CustomerRef, rawSpace: string, id: string) {
    const spaceId = parseSpaceId(rawSpace);
    const asset = await this.assets.get(c.id, spaceId, id);
    if (!asset) throw notFound(`Asset ${id} not found in space ${spaceId}.`);
    return asset;
  }

  private async write(
    method: AssetWriteMethod,
    c: CustomerRef,
    rawSpace: string,
    id: string | undefined,
    body: unknown,
    res: Response,
    req?: Request,
  ) {
    const spaceId = parseSpaceId(rawSpace);
    // An uploaded file (multipart, or a base64 `file` member) is read here, after authentication.
    const received = req ? await this.uploads.receive(req, res, c.id, spaceId, id, body) : null;
    try {
      return await this.answer(res, c, spaceId, (signal) =>
        this.assets.write(method, c.id, spaceId, id, received?.body ?? body ?? {}, signal, received?.upload),
      );
    } finally {
      await received?.upload?.abort();
    }
  }

  /** Runs a write that may wait for an ingest (aborted when the client goes away) and renders its result. */
  private async answer(
    res: Response,
    c: CustomerRef,
    spaceId: number,
    run: (signal: AbortSignal) => Promise<AssetWriteResult>,
  ) {
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);
    try {
      const result = await run(abort.signal);
      res.status(result.status);
      if (result.created) res.setHeader('Location', this.links.image(c.id, spaceId, result.asset.id));
      return this.presenter.render(result.asset);
    } finally {
      res.off('close', onClose);
    }
  }
}
