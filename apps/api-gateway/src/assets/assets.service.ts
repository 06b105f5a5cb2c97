import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AssetCreatedV1, AssetIngestRequestedV1, AssetUpdatedV1 } from '@vellum/contracts';
import { PRISMA, isUniqueViolation, type Asset, type Prisma, type PrismaClient } from '@vellum/db';
import { OutboxRelay, outboxRow, PRIORITY_LANE } from '@vellum/messaging';
import { storedOriginFor, type SecretBox } from '@vellum/secrets';
import { GATEWAY_ENV, SECRET_BOX, type GatewayEnv } from '../config/gateway-env';
import { conflict, notFound, validationProblem } from '../http/problems';
import { Links } from '../http/links.service';
import { SERVICE_NAME } from '../customers/customers.service';
import { buildAssetFields, type AssetFields, type WriteMode } from './asset-builder';
import { parseAssetBody } from './asset-input';
import { assetIdProblem } from './asset-id';
import { AssetPresenter, existingFields } from './asset.presenter';
import { ChannelRulesRepository } from '../delivery-channel-policies/channel-rules.repository';
import { AssetsRepository } from './assets.repository';
import { IngestWaiter } from './ingest-waiter.service';
import type { PendingUpload } from './upload/upload.service';
import { QuotaService } from '../storage/quota.service';

/** Result of an asset write: HTTP status and the asset to render. */
export interface AssetWriteResult {
  status: 200 | 201 | 202;
  asset: Asset;
  created: boolean;
}

export type AssetWriteMethod = 'PUT' | 'POST' | 'PATCH';

/** Assets one at a time (SPEC.md §3.3 "Assets", §3.4, §4.1). */
@Injectable()
export class AssetsService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
    private readonly relay: OutboxRelay,
    private readonly rulesRepo: ChannelRulesRepository,
    private readonly presenter: AssetPresenter,
    private readonly waiter: IngestWaiter,
    private readonly links: Links,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    private readonly assets: AssetsRepository,
    private readonly quota: QuotaService,
  ) {}

  get(customerId: number, spaceId: number, id: string): Promise<Asset | null> {
    return this.assets.get(customerId, spaceId, id);
  }

  /**
   * PUT (create or replace), POST (create; id given or minted) or PATCH (supplied fields) of one asset.
   * Validates everything first (400 listing every field), then, when the change needs an ingest, writes the asset
   * (`ingesting: true`, `error: null`, attempt + 1) and an `asset.ingest.requested.v1` outbox row (priority lane) in
   * one transaction, kicks the relay, and for image/file families waits for the attempt to end (up to
   * `VELLUM_IMMEDIATE_TIMEOUT_MS`). Audio/video answer at once with `ingesting: true`.
   * @param signal aborts the wait when the client disconnects.
   * @param upload a file uploaded with the write (SPEC.md §3.3): it becomes the origin, and is committed to the
   *   store after validation and the quota check, just before the asset is written.
   * @throws 404 (space or, for PATCH, asset missing), 409 (POST of an existing id), 400 validation problems,
   *   507 storage quota.
   */
  async write(
    method: AssetWriteMethod,
    customerId: number,
    spaceId: number,
    urlId: string | undefined,
    body: unknown,
    signal?: AbortSignal,
    upload?: PendingUpload,
  ): Promise<AssetWriteResult> {
    const space = await this.prisma.space.findUnique({
      where: { customerId_id: { customerId, id: spaceId } },
    });
    if (!space) throw notFound(`Space ${spaceId} not found.`);

    const bodyId =
      body && typeof body === 'object' && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
    const id = urlId ?? (typeof bodyId === 'string' && bodyId ? bodyId : randomUUID());
    const existing = await this.get(customerId, spaceId, id);
    if (method === 'PATCH' && !existing) throw notFound(`Asset ${id} not found in space ${spaceId}.`);
    if (method === 'POST' && existing)
      throw conflict(`Asset ${id} already exists in space ${spaceId}; use PUT to replace it.`);

    const url = this.links.image(customerId, spaceId, id);
    const parsed = parseAssetBody(body, {
      current: existing ? this.presenter.render(existing) : undefined,
      expected: { '@id': url, '@type': 'vocab:Image' },
      fallbackMediaType: existing?.mediaType,
    });
    const errors = [...parsed.errors];
    const idProblem = urlId !== undefined ? assetIdProblem(urlId) : null;
    if (idProblem) errors.unshift({ field: 'id', message: idProblem });
    if (parsed.input) {
      const { dto } = parsed.input;
      if (urlId !== undefined && dto.id !== undefined && dto.id !== null && dto.id !== urlId) {
        errors.push({ field: 'id', message: `id "${dto.id}" does not match the URL ("${urlId}")` });
      }
      if (dto.space !== undefined && dto.space !== null && dto.space !== spaceId) {
        errors.push({ field: 'space', message: `space ${dto.space} does not match the URL (${spaceId})` });
      }
    }
    if (errors.length || !parsed.input) throw validationProblem(errors);
    // Credentials in the origin are sealed (SPEC.md §10); sending back the rendered origin keeps them.
    if (typeof parsed.input.dto.origin === 'string' && parsed.input.dto.origin)
      parsed.input.dto.origin = storedOriginFor(parsed.input.dto.origin, existing?.origin, this.secrets);
    if (upload) {
      parsed.input.dto.origin = upload.origin;
      parsed.input.sent.add('origin');
    }

    const mode: WriteMode = method === 'PATCH' ? 'patch' : existing ? 'replace' : 'create';
    const [rules, policies] = await Promise.all([
      this.rulesRepo.rules(customerId, [spaceId]),
      this.rulesRepo.policies(customerId),
    ]);
    const built = buildAssetFields(parsed.input, {
      customerId,
      spaceId,
      mode,
      existing: existing ? existingFields(existing) : undefined,
      space,
      rules,
      policies,
    });
    if (!built.fields) throw validationProblem(built.errors);
    if (built.errors.length) throw validationProblem(built.errors);

    const okStatus = existing ? 200 : 201;
    if (!built.reingest && existing) {
      const fields = built.fields;
      const asset = await this.prisma.$transaction(async (tx) => {
        const updated = await this.assets.updateFields(customerId, spaceId, id, fields, tx);
        await tx.outboxMessage.create({ data: this.updatedEvent(existing, updated) });
        return updated;
      });
      this.relay.kick();
      return { status: 200, asset, created: false };
    }

    await this.quota.check(customerId, existing ? 0 : 1, upload?.size);
    await upload?.commit();
    let asset: Asset;
    try {
      asset = await this.writeForIngest(customerId, spaceId, id, built.fields, existing);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Asset ${id} was created concurrently; retry.`);
      throw err;
    }
    this.relay.kick();
    const created = !existing;
    if (asset.family === 'T') return { status: okStatus, asset, created };

    const outcome = await this.waiter.wait(
      { customerId, spaceId, assetId: id, attempt: asset.ingestAttempt },
      this.env.VELLUM_IMMEDIATE_TIMEOUT_MS,
      signal,
    );
    const latest = (await this.get(customerId, spaceId, id)) ?? asset;
    if (outcome !== 'finished' || latest.ingesting) return { status: 202, asset: latest, created };
    return { status: okStatus, asset: latest, created };
  }

  /** `asset.updated.v1` outbox row carrying the API representation before and after (SPEC.md §2 events). */
  private updatedEvent(before: Asset, after: Asset): Prisma.OutboxMessageCreateInput {
    const event = Object.assign(new AssetUpdatedV1(), {
      customerId: after.customerId,
      spaceId: after.spaceId,
      assetId: after.id,
      before: jsonSafe(this.presenter.render(before)),
      after: jsonSafe(this.presenter.render(after)),
    });
    return outboxRow(event, { producer: SERVICE_NAME });
  }

  /**
   * One transaction: upsert the asset for a new ingest attempt + the outbox command, plus AssetCreatedV1 when new
   * or AssetUpdatedV1 (before/after) when it replaces or changes an existing asset.
   */
  private async writeForIngest(
    customerId: number,
    spaceId: number,
    id: string,
    fields: AssetFields,
    before: Asset | null,
  ): Promise<Asset> {
    const isNew = !before;
    return this.prisma.$transaction(async (tx) => {
      const asset = await this.assets.upsertForIngest(customerId, spaceId, id, fields, tx);
      const rows: Prisma.OutboxMessageCreateInput[] = [
        outboxRow(
          Object.assign(new AssetIngestRequestedV1(), {
            customerId,
            spaceId,
            assetId: id,
            attempt: asset.ingestAttempt,
            priority: true,
          }),
          { priority: PRIORITY_LANE, producer: SERVICE_NAME },
        ),
      ];
      if (isNew && asset.ingestAttempt === 1) {
        rows.push(
          outboxRow(
            Object.assign(new AssetCreatedV1(), {
              customerId,
              spaceId,
              assetId: id,
              mediaType: fields.mediaType,
            }),
            { producer: SERVICE_NAME },
          ),
        );
      }
      if (before) rows.push(this.updatedEvent(before, asset));
      await tx.outboxMessage.createMany({ data: rows });
      return asset;
    });
  }
}

/** A plain JSON copy (drops `undefined`, turns dates into ISO strings) for message payloads. */
function jsonSafe(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
