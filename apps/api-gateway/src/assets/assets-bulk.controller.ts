import { Body, Controller, Get, HttpCode, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { Request } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody } from '../http/body-contract';
import { hydraCollection, QueryValidationError, type FieldError } from '../http/hydra';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { validationProblem } from '../http/problems';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiShape, registerSchema } from '../resource/openapi';
import { COLLECTION_ECHO, MAX_BULK_MEMBERS, parseDeleteFrom, parseRefCollection } from './asset-refs';
import { ASSET_FIELDS } from './asset.fields';
import { AssetPresenter } from './asset.presenter';
import {
  ALL_IMAGES_PATCH_FIELDS,
  AssetsBulkService,
  LIST_FIELDS,
  PATCH_OPERATIONS,
} from './assets-bulk.service';
import { AssetsRepository } from './assets.repository';
import { AssetsService } from './assets.service';

/** `{"id": "{customer}/{space}/{id}"}`: how the bulk bodies name an asset (SPEC.md §3.3, as the reference does). */
export class AssetRefDto {
  @ApiProperty({
    description: '"{customer}/{space}/{id}" (the customer\'s integer id or name)',
    example: '2/1/b1.jp2',
  })
  id!: string;
}

/** A Hydra Collection of asset references (`POST C/allImages`, `POST C/deleteImages`). */
export class AssetRefCollectionDto {
  @ApiProperty({
    type: [AssetRefDto],
    description: `1 to ${MAX_BULK_MEMBERS} assets of this customer; another customer's or a malformed id → 400; duplicates count once`,
    maxItems: MAX_BULK_MEMBERS,
  })
  @IsOptional()
  member?: unknown;
}

/** The body of `PATCH C/allImages` (SPEC.md §3.3). */
export class AllImagesPatchDto {
  @ApiProperty({ enum: ALL_IMAGES_PATCH_FIELDS, description: 'The field to change' })
  @IsOptional()
  field?: unknown;

  @ApiProperty({
    enum: PATCH_OPERATIONS,
    description: `add / remove (list fields: ${LIST_FIELDS.join(', ')}) or replace (any field)`,
  })
  @IsOptional()
  operation?: unknown;

  @ApiPropertyOptional({
    description:
      'An array of strings for the list fields; a string (string1..3), an integer (number1..3) or null (clears) otherwise',
    example: ['tag-a', 'tag-b'],
  })
  @IsOptional()
  value?: unknown;

  @ApiProperty({
    type: [AssetRefDto],
    description: `1 to ${MAX_BULK_MEMBERS} assets of this customer; unknown ones are skipped`,
    maxItems: MAX_BULK_MEMBERS,
  })
  @IsOptional()
  member?: unknown;
}

const DELETE_RESULT = registerSchema('DeleteImagesResult', {
  type: 'object',
  description: 'What POST C/deleteImages removed',
  properties: {
    '@context': { type: 'string' },
    '@type': { type: 'string', enum: ['vocab:DeleteImagesResult'] },
    count: { type: 'integer', description: 'Assets deleted' },
    deleted: { type: 'array', items: { type: 'string' }, description: '"{customer}/{space}/{id}" of each' },
  },
  required: ['@type', 'count', 'deleted'],
});

const REF_BODY = { readOnly: COLLECTION_ECHO, validate: false } as const;

/**
 * Assets across spaces and in bulk (SPEC.md §3.3 "Assets in bulk"): `GET`/`POST`/`PATCH C/allImages` and
 * `POST C/deleteImages`. Bodies name assets as `{"id": "{customer}/{space}/{id}"}`.
 */
@ApiTags('assets')
@ApiBasicAuth()
@Controller('customers/:customer')
@UseGuards(ApiKeyGuard)
export class AssetsBulkController {
  constructor(
    private readonly bulk: AssetsBulkService,
    private readonly assets: AssetsService,
    private readonly repo: AssetsRepository,
    private readonly presenter: AssetPresenter,
    private readonly links: Links,
  ) {}

  @Get('allImages')
  @ApiCollection(ASSET_FIELDS)
  @ApiOperation({
    summary:
      "Every asset of the customer, across spaces (paged, ordered, filtered like a space's list, plus space)",
  })
  allImages(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      ASSET_FIELDS,
      (filter, paging) => this.repo.pageAcrossSpaces(c.id, filter, paging),
      (a) => this.presenter.render(a),
    );
  }

  @Post('allImages')
  @HttpCode(200)
  @JsonBody(AssetRefCollectionDto, REF_BODY)
  @ApiCollection(ASSET_FIELDS, 'The named assets that exist, in request order')
  @ApiOperation({ summary: 'Fetch a list of assets by "{customer}/{space}/{id}": 200 with those found' })
  async fetch(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Body() body: unknown) {
    const keys = parseRefCollection(body, c);
    return this.collection(req, await this.bulk.fetch(c.id, keys));
  }

  @Patch('allImages')
  @JsonBody(AllImagesPatchDto, REF_BODY)
  @ApiCollection(ASSET_FIELDS, 'The named assets that exist, updated, in request order')
  @ApiOperation({
    summary: `Add, remove or replace values of one field (${ALL_IMAGES_PATCH_FIELDS.join(', ')}) on many assets; unknown members skipped; one asset.updated.v1 per changed asset; an asset gaining its first role or losing its last is reingested`,
  })
  async patch(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Body() body: unknown) {
    return this.collection(req, await this.bulk.patchAll(c, body));
  }

  @Post('deleteImages')
  @HttpCode(200)
  @JsonBody(AssetRefCollectionDto, REF_BODY)
  @ApiQuery({
    name: 'deleteFrom',
    required: false,
    description: 'Comma-separated: cdn, internalCache (passed on in each asset.deleted.v1)',
    schema: { type: 'string', example: 'cdn,internalCache' },
  })
  @ApiShape(200, 'The assets deleted (unknown ones skipped)', { $ref: DELETE_RESULT })
  @ApiOperation({
    summary:
      'Delete many assets in one transaction, as single deletes do (storage accounting, batch membership, asset.deleted.v1 each); unknown ids skipped; 400 if none exists',
  })
  async deleteImages(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Query('deleteFrom') rawDeleteFrom: unknown,
  ) {
    let deleteFrom: ReturnType<typeof parseDeleteFrom> = [];
    const errors: FieldError[] = [];
    try {
      deleteFrom = parseDeleteFrom(rawDeleteFrom);
    } catch (err) {
      if (!(err instanceof QueryValidationError)) throw err;
      errors.push(...err.errors); // listed with the body's problems
    }
    const keys = parseRefCollection(body, c, errors);
    const done = await this.assets.deleteMany(c.id, keys, deleteFrom);
    if (!done.keys.length)
      throw validationProblem([{ field: 'member', message: 'none of the named assets exists' }]);
    return {
      '@context': DLCS_CONTEXT,
      '@type': 'vocab:DeleteImagesResult',
      count: done.keys.length,
      deleted: done.keys.map((k) => `${c.id}/${k.spaceId}/${k.id}`),
    };
  }

  private collection(req: Request, assets: Parameters<AssetPresenter['render']>[0][]) {
    return hydraCollection(
      this.links.request(req.originalUrl),
      assets.map((a) => this.presenter.render(a)),
      assets.length,
      { page: 1, pageSize: Math.max(1, assets.length) },
    );
  }
}
