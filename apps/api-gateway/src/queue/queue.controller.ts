import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiConsumes,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { Request, Response } from 'express';
import type { Asset, Batch, BatchMemberOutcome, Prisma } from '@vellum/db';
import { AdminOnly, CurrentCustomer } from '../auth/decorators';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { CustomerRef } from '../auth/principal';
import { AssetBodyDto } from '../assets/asset-input';
import { assetFilterOf } from '../assets/asset-query';
import { ASSET_FIELDS } from '../assets/asset.fields';
import { AssetPresenter } from '../assets/asset.presenter';
import { AssetsRepository } from '../assets/assets.repository';
import { JsonBody, NoBody } from '../http/body-contract';
import { compact } from '../http/hydra';
import { Links } from '../http/links.service';
import { notFound } from '../http/problems';
import type { OrderBy } from '../resource/field-table';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiResource, ApiShape } from '../resource/openapi';
import { BATCH_DEFAULT_ORDER, BATCH_FIELDS, RECENT_BATCH_ORDER } from './batch.fields';
import { BatchPresenter } from './batch.presenter';
import { BatchesRepository } from './batches.repository';
import { BatchesService } from './batches.service';
import {
  BATCH_TEST_SCHEMA_REF,
  QUEUE_SCHEMA_REF,
  QUEUE_SUMMARY_SCHEMA_REF,
  renderQueue,
  renderQueueSummary,
} from './queue-summary';
import { MAX_BATCH_MEMBERS, QueueService } from './queue.service';
import { BATCH_PART, QueueUploadService } from './queue-upload.service';
import { isMultipart } from '../assets/upload/upload-request';

/**
 * The body of `POST C/queue[/priority]` (SPEC.md §3.3 "Queue and batches"): a Hydra Collection of assets. Members
 * are validated by the queue service (every problem listed by member index); unknown top-level fields → 400.
 */
export class QueueBodyDto {
  @ApiProperty({
    type: [AssetBodyDto],
    description: `The assets (1 to ${MAX_BATCH_MEMBERS}), each with space and id`,
    maxItems: MAX_BATCH_MEMBERS,
  })
  @IsOptional()
  member?: unknown;

  @ApiPropertyOptional({ type: [AssetBodyDto], description: 'Alias of member' })
  @IsOptional()
  members?: unknown;
}

/** Hydra Collection members a client may echo in a queue body. */
const COLLECTION_READ_ONLY = ['totalItems', 'pageSize', 'view'];
const QUEUE_BODY = {
  readOnly: COLLECTION_READ_ONLY,
  validate: false,
  description:
    'JSON: the Hydra Collection. Or multipart/form-data carrying the files (SPEC.md §3.3; docs/api/queue.md): ' +
    `first a form field named ${BATCH_PART} holding this JSON collection, whose members may give ` +
    '`"file": "<part name>"` instead of an origin, then one file part per such member, named so (each ≤ ' +
    'VELLUM_MAX_UPLOAD_BYTES, larger → 413 naming the part). The batch is validated whole before any file is ' +
    "stored; each file becomes its asset's origin (vellum-store://{bucket}/{key}) and is ingested once, through " +
    'the queue. A missing, unused, duplicate or empty part, an unknown field or a malformed batch → 400; nothing ' +
    'is kept on failure. Unknown JSON fields → 400.',
} as const;

/** The batch id of a path (`1`..`999999999`); anything else names no batch: 404. */
export function parseBatchId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw notFound(`Batch ${raw} not found.`);
  return Number(raw);
}

/**
 * The customer's queue and batches (SPEC.md §3.3 "Queue and batches"; docs/api/queue.md): summaries, submission,
 * batch lists and sub-collections, and the batch operations `test`, `reingestErrors` and `cancel`.
 */
@ApiTags('queue')
@ApiBasicAuth()
@Controller('customers/:customer/queue')
@UseGuards(ApiKeyGuard)
export class QueueController {
  constructor(
    private readonly queue: QueueService,
    private readonly uploads: QueueUploadService,
    private readonly batches: BatchesService,
    private readonly batchRepo: BatchesRepository,
    private readonly assetRepo: AssetsRepository,
    private readonly batchPresenter: BatchPresenter,
    private readonly assetPresenter: AssetPresenter,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiShape(200, "The customer's queue", { $ref: QUEUE_SCHEMA_REF })
  @ApiOperation({
    summary: "The customer's queue: size, batches and images waiting, links to the batch lists",
  })
  async summary(@CurrentCustomer() c: CustomerRef) {
    return renderQueue(this.links, c.id, await this.batchRepo.queueCounts(c.id), false);
  }

  @Post()
  @HttpCode(201)
  @JsonBody(QueueBodyDto, QUEUE_BODY)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiResource(BATCH_FIELDS, 201)
  @ApiOperation({
    summary: 'Submit a batch: a Hydra Collection of ≤ 500 assets, each with space and id; 201 vocab:Batch',
  })
  async submit(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.created(res, await this.accept(c, body, req, res, false));
  }

  @Get('priority')
  @ApiShape(200, "The customer's priority queue", { $ref: QUEUE_SCHEMA_REF })
  @ApiOperation({ summary: 'The priority queue: size, batches and images waiting' })
  async prioritySummary(@CurrentCustomer() c: CustomerRef) {
    return renderQueue(this.links, c.id, await this.batchRepo.queueCounts(c.id, true), true);
  }

  @Post('priority')
  @HttpCode(201)
  @JsonBody(QueueBodyDto, QUEUE_BODY)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiResource(BATCH_FIELDS, 201)
  @ApiOperation({ summary: 'Submit a priority batch (images only), served before normal batches' })
  async submitPriority(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.created(res, await this.accept(c, body, req, res, true));
  }

  @Get('batches')
  @ApiCollection(BATCH_FIELDS)
  @ApiOperation({
    summary: "The customer's batches (paged; ascending id unless ordered; filters superseded, priority)",
  })
  batchList(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return this.listBatches(c, req, query, {}, BATCH_DEFAULT_ORDER);
  }

  @Get('active')
  @ApiCollection(BATCH_FIELDS)
  @ApiOperation({ summary: 'Unfinished batches (paged; ascending id unless ordered)' })
  active(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return this.listBatches(c, req, query, { finished: null }, BATCH_DEFAULT_ORDER);
  }

  @Get('recent')
  @ApiCollection(BATCH_FIELDS)
  @ApiOperation({ summary: 'Finished batches, latest finished first (paged)' })
  recent(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return this.listBatches(c, req, query, { finished: { not: null } }, RECENT_BATCH_ORDER);
  }

  @Get('batches/:batch')
  @ApiResource(BATCH_FIELDS)
  @ApiOperation({ summary: 'A batch and its exact progress' })
  async batch(@CurrentCustomer() c: CustomerRef, @Param('batch') raw: string) {
    return this.batchPresenter.render(await this.batches.get(c.id, parseBatchId(raw)));
  }

  @Get('batches/:batch/images')
  @ApiCollection(ASSET_FIELDS)
  @ApiOperation({
    summary:
      'Current members of a batch (assets whose batch is this one); paged, ordered and filtered like asset lists',
  })
  async images(
    @CurrentCustomer() c: CustomerRef,
    @Param('batch') raw: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    const batch = await this.batches.get(c.id, parseBatchId(raw));
    return listPage(
      this.links.request(req.originalUrl),
      query,
      ASSET_FIELDS,
      (filter, paging) => this.assetRepo.page(c.id, { ...assetFilterOf(filter), batchId: batch.id }, paging),
      (a) => this.assetPresenter.render(a),
    );
  }

  @Get('batches/:batch/assets')
  @ApiCollection(ASSET_FIELDS)
  @ApiOperation({
    summary:
      'Every asset ever submitted in a batch (whatever batch it is in now); paged, ordered and filtered like asset lists',
  })
  assets(
    @CurrentCustomer() c: CustomerRef,
    @Param('batch') raw: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    return this.memberList(c, parseBatchId(raw), req, query);
  }

  @Get('batches/:batch/errors')
  @ApiCollection(ASSET_FIELDS)
  @ApiOperation({
    summary:
      "Failed members of a batch, each with its member's error; paged, ordered and filtered like asset lists",
  })
  errors(
    @CurrentCustomer() c: CustomerRef,
    @Param('batch') raw: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    return this.memberList(c, parseBatchId(raw), req, query, 'error');
  }

  @Post('batches/:batch/test')
  @HttpCode(200)
  @NoBody()
  @ApiShape(200, 'The batch was re-evaluated', { $ref: BATCH_TEST_SCHEMA_REF })
  @ApiOperation({
    summary:
      'Re-evaluate completion and supersession; {"success": true} when the batch is finished or superseded',
  })
  async test(@CurrentCustomer() c: CustomerRef, @Param('batch') raw: string) {
    const { success } = await this.batches.test(c.id, parseBatchId(raw));
    return { success };
  }

  @Post('batches/:batch/reingestErrors')
  @HttpCode(201)
  @NoBody()
  @ApiResource(BATCH_FIELDS, 201, 'Created: the new batch of the resubmitted failed members')
  @ApiOperation({
    summary:
      'Resubmit only the failed members, as a new batch (201 vocab:Batch); 409 when there is no failed member',
  })
  async reingestErrors(
    @CurrentCustomer() c: CustomerRef,
    @Param('batch') raw: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.created(res, await this.batches.reingestErrors(c.id, parseBatchId(raw)));
  }

  @Post('batches/:batch/cancel')
  @HttpCode(200)
  @NoBody()
  @ApiResource(
    BATCH_FIELDS,
    200,
    'The batch after the cancel (cancelled counts the members that never started)',
  )
  @ApiOperation({
    summary:
      'Cancel a running batch: members not yet started are not processed; those being processed finish; 409 when finished',
  })
  async cancel(@CurrentCustomer() c: CustomerRef, @Param('batch') raw: string) {
    const { batch } = await this.batches.cancel(c.id, parseBatchId(raw));
    return this.batchPresenter.render(batch);
  }

  /** A JSON batch, or a multipart one carrying its members' files ({@link QueueUploadService}). */
  private accept(c: CustomerRef, body: unknown, req: Request, res: Response, priority: boolean) {
    return isMultipart(req)
      ? this.uploads.submit(req, res, c.id, priority)
      : this.queue.submit(c.id, body, priority);
  }

  private created(res: Response, batch: Batch) {
    res.setHeader('Location', this.links.batch(batch.customerId, batch.id));
    return this.batchPresenter.render(batch);
  }

  private listBatches(
    c: CustomerRef,
    req: Request,
    query: Record<string, unknown>,
    where: Prisma.BatchWhereInput,
    order: OrderBy,
  ) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      BATCH_FIELDS,
      (filter, paging) =>
        this.batchRepo.page(c.id, { ...(filter as Prisma.BatchWhereInput), ...where }, paging, order),
      (b) => this.batchPresenter.render(b),
    );
  }

  /**
   * A page of the batch's members (all, or those with `outcome`) as assets, filtered and ordered like asset
   * lists. A batch holds ≤ 500 members, so their keys are read first and the assets selected among them.
   * Failed members render with their own error (the asset may have failed differently since).
   */
  private async memberList(
    c: CustomerRef,
    batchId: number,
    req: Request,
    query: Record<string, unknown>,
    outcome?: BatchMemberOutcome,
  ) {
    await this.batches.get(c.id, batchId);
    const members = await this.batchRepo.members(c.id, batchId, outcome);
    const errors = new Map(members.map((m) => [`${m.spaceId}/${m.assetId}`, m.error]));
    const bySpace = new Map<number, string[]>();
    for (const m of members) bySpace.set(m.spaceId, [...(bySpace.get(m.spaceId) ?? []), m.assetId]);
    const among: Prisma.AssetWhereInput = {
      OR: [...bySpace].map(([spaceId, ids]) => ({ spaceId, id: { in: ids } })),
    };
    return listPage(
      this.links.request(req.originalUrl),
      query,
      ASSET_FIELDS,
      (filter, paging) =>
        members.length
          ? this.assetRepo.page(c.id, { AND: [assetFilterOf(filter), among] }, paging)
          : Promise.resolve({ rows: [] as Asset[], total: 0 }),
      (a) => {
        const out = this.assetPresenter.render(a);
        if (outcome !== 'error') return out;
        return compact({ ...out, error: errors.get(`${a.spaceId}/${a.id}`) ?? out.error });
      },
    );
  }
}

/** The platform's queue (SPEC.md §3.2): admin only, as the reference's anonymous `/queue` leaks activity. */
@ApiTags('queue')
@ApiBasicAuth()
@Controller('queue')
@UseGuards(ApiKeyGuard)
export class PlatformQueueController {
  constructor(
    private readonly batchRepo: BatchesRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @AdminOnly()
  @ApiShape(200, 'Waiting work across every customer', { $ref: QUEUE_SUMMARY_SCHEMA_REF })
  @ApiOperation({ summary: 'Queue summary across every customer (admin): assets waiting by lane and family' })
  async summary() {
    return renderQueueSummary(this.links, await this.batchRepo.platformQueueCounts());
  }
}
