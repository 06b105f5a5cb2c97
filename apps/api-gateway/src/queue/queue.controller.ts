import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { Request, Response } from 'express';
import { PRISMA, type Asset, type Batch, type Prisma, type PrismaClient } from '@vellum/db';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { AssetBodyDto } from '../assets/asset-input';
import { ASSET_ORDER, assetOrder } from '../assets/asset-query';
import { JsonBody } from '../http/body-contract';
import { AssetPresenter } from '../assets/asset.presenter';
import { compact, hydraCollection, parsePaging } from '../http/hydra';
import { DLCS_CONTEXT, iso } from '../http/json-ld';
import { Links } from '../http/links.service';
import { notFound } from '../http/problems';
import { MAX_BATCH_MEMBERS, QueueService } from './queue.service';

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
const QUEUE_BODY = { readOnly: COLLECTION_READ_ONLY, validate: false } as const;

const BATCH_ORDER = ['id', 'submitted', 'finished', 'count'] as const;

/** `estCompletion` of a running batch: linear extrapolation of its progress so far; undefined before any landed. */
export function estimateCompletion(
  b: Pick<Batch, 'submitted' | 'count' | 'completed' | 'errors' | 'finished'>,
  now = Date.now(),
): Date | undefined {
  const done = b.completed + b.errors;
  if (b.finished || done === 0 || done >= b.count) return undefined;
  const elapsed = now - b.submitted.getTime();
  return new Date(b.submitted.getTime() + (elapsed * b.count) / done);
}

@ApiTags('queue')
@ApiBasicAuth()
@Controller('customers/:customer/queue')
@UseGuards(ApiKeyGuard)
export class QueueController {
  constructor(
    private readonly queue: QueueService,
    private readonly presenter: AssetPresenter,
    private readonly links: Links,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
  ) {}

  @Get()
  @ApiOperation({ summary: "The customer's queue: size, batches and images waiting" })
  async summary(@CurrentCustomer() c: CustomerRef) {
    return this.queueSummary(c, undefined);
  }

  @Post()
  @HttpCode(201)
  @JsonBody(QueueBodyDto, QUEUE_BODY)
  @ApiOperation({
    summary: 'Submit a batch: a Hydra Collection of ≤ 500 assets, each with space and id; 201 vocab:Batch',
  })
  async submit(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const batch = await this.queue.submit(c.id, body, false);
    res.setHeader('Location', this.links.batch(c.id, batch.id));
    return this.renderBatch(batch);
  }

  @Get('priority')
  @ApiOperation({ summary: 'The priority queue: size, batches and images waiting' })
  async prioritySummary(@CurrentCustomer() c: CustomerRef) {
    return this.queueSummary(c, true);
  }

  @Post('priority')
  @HttpCode(201)
  @JsonBody(QueueBodyDto, QUEUE_BODY)
  @ApiOperation({ summary: 'Submit a priority batch (images only), served before normal batches' })
  async submitPriority(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const batch = await this.queue.submit(c.id, body, true);
    res.setHeader('Location', this.links.batch(c.id, batch.id));
    return this.renderBatch(batch);
  }

  @Get('batches')
  @ApiOperation({ summary: "The customer's batches (paged; newest first unless ordered)" })
  async batches(
    @CurrentCustomer() c: CustomerRef,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    return this.batchList(c, req, query, {});
  }

  @Get('active')
  @ApiOperation({ summary: 'Batches still running' })
  async active(
    @CurrentCustomer() c: CustomerRef,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    return this.batchList(c, req, query, { finished: null, superseded: false });
  }

  @Get('recent')
  @ApiOperation({ summary: 'Finished batches, most recently finished first' })
  async recent(
    @CurrentCustomer() c: CustomerRef,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    return this.batchList(c, req, query, { finished: { not: null } }, { finished: 'desc' });
  }

  @Get('batches/:batch')
  @ApiOperation({ summary: 'A batch and its exact progress' })
  async batch(@CurrentCustomer() c: CustomerRef, @Param('batch') raw: string) {
    return this.renderBatch(await this.loadBatch(c, raw));
  }

  @Get('batches/:batch/images')
  @ApiOperation({ summary: 'Current members of a batch (assets whose latest batch is this one)' })
  async images(
    @CurrentCustomer() c: CustomerRef,
    @Param('batch') raw: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    const batch = await this.loadBatch(c, raw);
    const paging = parsePaging(query, ASSET_ORDER);
    const where = { customerId: c.id, batchId: batch.id };
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.asset.findMany({
        where,
        skip: paging.skip,
        take: paging.pageSize,
        orderBy: assetOrder(paging.orderBy, paging.descending),
      }),
      this.prisma.asset.count({ where }),
    ]);
    return hydraCollection(
      this.links.request(req.originalUrl),
      rows.map((a) => this.presenter.render(a)),
      total,
      paging,
    );
  }

  @Get('batches/:batch/assets')
  @ApiOperation({ summary: 'Everyone ever submitted in a batch' })
  async assets(
    @CurrentCustomer() c: CustomerRef,
    @Param('batch') raw: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    return this.memberList(c, raw, req, query, {});
  }

  @Get('batches/:batch/errors')
  @ApiOperation({ summary: 'Failed members of a batch, each with its error' })
  async errors(
    @CurrentCustomer() c: CustomerRef,
    @Param('batch') raw: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    return this.memberList(c, raw, req, query, { outcome: 'error' });
  }

  private async queueSummary(c: CustomerRef, priority: boolean | undefined) {
    const running: Prisma.BatchWhereInput = {
      customerId: c.id,
      finished: null,
      superseded: false,
      ...(priority ? { priority: true } : {}),
    };
    const [batchesWaiting, imagesWaiting] = await this.prisma.$transaction([
      this.prisma.batch.count({ where: running }),
      this.prisma.batchMember.count({ where: { customerId: c.id, outcome: 'pending', batch: running } }),
    ]);
    const self = priority ? `${this.links.queue(c.id)}/priority` : this.links.queue(c.id);
    return {
      '@context': DLCS_CONTEXT,
      '@id': self,
      '@type': 'vocab:Queue',
      size: imagesWaiting,
      batchesWaiting,
      imagesWaiting,
      batches: this.links.batches(c.id),
      active: `${this.links.queue(c.id)}/active`,
      recent: `${this.links.queue(c.id)}/recent`,
      ...(priority ? {} : { priority: `${this.links.queue(c.id)}/priority` }),
    };
  }

  private async batchList(
    c: CustomerRef,
    req: Request,
    query: Record<string, unknown>,
    filter: Prisma.BatchWhereInput,
    defaultOrder: Prisma.BatchOrderByWithRelationInput = { id: 'desc' },
  ) {
    const paging = parsePaging(query, BATCH_ORDER);
    const where = { ...filter, customerId: c.id };
    const orderBy = paging.orderBy ? { [paging.orderBy]: paging.descending ? 'desc' : 'asc' } : defaultOrder;
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.batch.findMany({
        where,
        skip: paging.skip,
        take: paging.pageSize,
        orderBy: [orderBy, { id: 'desc' }],
      }),
      this.prisma.batch.count({ where }),
    ]);
    return hydraCollection(
      this.links.request(req.originalUrl),
      rows.map((b) => this.renderBatch(b)),
      total,
      paging,
    );
  }

  private async memberList(
    c: CustomerRef,
    raw: string,
    req: Request,
    query: Record<string, unknown>,
    filter: Prisma.BatchMemberWhereInput,
  ) {
    const batch = await this.loadBatch(c, raw);
    const paging = parsePaging(query, ['assetId', 'spaceId'] as const);
    const where = { ...filter, batchId: batch.id };
    const orderBy: Prisma.BatchMemberOrderByWithRelationInput[] = paging.orderBy
      ? [{ [paging.orderBy]: paging.descending ? 'desc' : 'asc' }]
      : [{ spaceId: 'asc' }, { assetId: 'asc' }];
    const [members, total] = await this.prisma.$transaction([
      this.prisma.batchMember.findMany({ where, skip: paging.skip, take: paging.pageSize, orderBy }),
      this.prisma.batchMember.count({ where }),
    ]);
    const assets: Asset[] = members.length
      ? await this.prisma.asset.findMany({
          where: { customerId: c.id, OR: members.map((m) => ({ spaceId: m.spaceId, id: m.assetId })) },
        })
      : [];
    const byKey = new Map(assets.map((a) => [`${a.spaceId}/${a.id}`, a]));
    const rendered = members.flatMap((m) => {
      const a = byKey.get(`${m.spaceId}/${m.assetId}`);
      if (!a) return [];
      const out = this.presenter.render(a);
      if (filter.outcome === 'error') return [compact({ ...out, error: m.error ?? out.error })];
      return [out];
    });
    return hydraCollection(this.links.request(req.originalUrl), rendered, total, paging);
  }

  private async loadBatch(c: CustomerRef, raw: string): Promise<Batch> {
    const id = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    const batch = Number.isFinite(id)
      ? await this.prisma.batch.findFirst({ where: { id, customerId: c.id } })
      : null;
    if (!batch) throw notFound(`Batch ${raw} not found.`);
    return batch;
  }

  private renderBatch(b: Batch) {
    const self = this.links.batch(b.customerId, b.id);
    return compact({
      '@context': DLCS_CONTEXT,
      '@id': self,
      '@type': 'vocab:Batch',
      id: b.id,
      submitted: iso(b.submitted),
      count: b.count,
      completed: b.completed,
      errors: b.errors,
      finished: iso(b.finished),
      superseded: b.superseded,
      priority: b.priority || undefined,
      estCompletion: iso(estimateCompletion(b)),
      images: `${self}/images`,
      assets: `${self}/assets`,
      errorImages: `${self}/errors`,
    });
  }
}
