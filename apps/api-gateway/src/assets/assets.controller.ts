import { Body, Controller, Get, Param, Patch, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { Links } from '../http/links.service';
import { notFound } from '../http/problems';
import { parseSpaceId } from '../spaces/spaces.controller';
import { JSON_LD_KEYS, JsonBody } from '../http/body-contract';
import { AssetBodyDto, parseAssetBody, READ_ONLY_FIELDS } from './asset-input';
import { ApiUploadBody, AssetUploadBodyDto, withoutFile } from './upload/upload-body';
import { UploadService } from './upload/upload.service';
import { assetFilterOf } from './asset-query';
import { ASSET_FIELDS } from './asset.fields';
import { AssetsRepository } from './assets.repository';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiResource } from '../resource/openapi';
import { SpacesService } from '../spaces/spaces.service';
import { AssetPresenter } from './asset.presenter';
import { AssetsService, type AssetWriteMethod } from './assets.service';

/** Asset bodies: unknown fields → 400 globally; values and read-only fields are checked by parseAssetBody. */
const ASSET_BODY = {
  readOnly: READ_ONLY_FIELDS,
  validate: false,
  // Without the stored asset, echoed @id/@type cannot be compared: only the other problems are listed.
  precheck: (body: unknown) =>
    parseAssetBody(body).errors.filter((e) => !(JSON_LD_KEYS as readonly string[]).includes(e.field)),
};
/** PUT/POST bodies may also carry the file (base64 `file`); multipart bodies are read by the UploadService. */
const ASSET_UPLOAD_BODY = {
  ...ASSET_BODY,
  precheck: (body: unknown) => ASSET_BODY.precheck(withoutFile(body)),
};

@ApiTags('assets')
@ApiBasicAuth()
@Controller('customers/:customer/spaces/:space/images')
@UseGuards(ApiKeyGuard)
export class AssetsController {
  constructor(
    private readonly assets: AssetsService,
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
    if (!(await this.spaces.get(c.id, spaceId))) throw notFound(`Space ${spaceId} not found.`);
    return listPage(
      this.links.request(req.originalUrl),
      query,
      ASSET_FIELDS,
      (filter, paging) => this.repo.page(c.id, { ...assetFilterOf(filter, spaceId), spaceId }, paging),
      (a) => this.presenter.render(a),
    );
  }

  @Post()
  @JsonBody(AssetUploadBodyDto, ASSET_UPLOAD_BODY)
  @ApiUploadBody()
  @ApiResource(ASSET_FIELDS, 201)
  @ApiResource(ASSET_FIELDS, 202, 'Accepted: still ingesting at the timeout')
  @ApiOperation({
    summary:
      'Create an asset (id given or minted) and ingest it; 201 when done, 202 if still ingesting at the timeout',
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
    const spaceId = parseSpaceId(rawSpace);
    const asset = await this.assets.get(c.id, spaceId, id);
    if (!asset) throw notFound(`Asset ${id} not found in space ${spaceId}.`);
    return this.presenter.render(asset);
  }

  @Put(':id')
  @JsonBody(AssetUploadBodyDto, ASSET_UPLOAD_BODY)
  @ApiUploadBody()
  @ApiResource(ASSET_FIELDS, 201)
  @ApiResource(ASSET_FIELDS, 200, 'Replaced')
  @ApiResource(ASSET_FIELDS, 202, 'Accepted: still ingesting at the timeout')
  @ApiOperation({
    summary:
      'Create (201) or replace (200) an asset and ingest it synchronously (images, files); audio/video answer at once with ingesting: true; 202 past the timeout',
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
      'Change the supplied fields; reingests only when origin, deliveryChannels, mediaType or access sizes change',
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
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);
    try {
      const result = await this.assets.write(
        method,
        c.id,
        spaceId,
        id,
        received?.body ?? body ?? {},
        abort.signal,
        received?.upload,
      );
      res.status(result.status);
      if (result.created) res.setHeader('Location', this.links.image(c.id, spaceId, result.asset.id));
      return this.presenter.render(result.asset);
    } finally {
      res.off('close', onClose);
      await received?.upload?.abort();
    }
  }
}
