import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  AssetCreatedV1,
  AssetDeletedV1,
  AssetIngestRequestedV1,
  AssetUpdatedV1,
  batchCompletedEvent,
  BUCKET_NAME,
  derivativeObjects,
  type DeleteFrom,
} from '@vellum/contracts';
import { isUniqueViolation, type Asset, type LedgerUpdate, type Prisma, type Space } from '@vellum/db';
import { OutboxRelay, outboxRow, PRIORITY_LANE } from '@vellum/messaging';
import { storedOriginFor, type SecretBox } from '@vellum/secrets';
import { GATEWAY_ENV, SECRET_BOX, type GatewayEnv } from '../config/gateway-env';
import { SERVICE_NAME } from '../customers/customers.service';
import { Links } from '../http/links.service';
import { conflict, notFound, validationProblem } from '../http/problems';
import { SpacesService } from '../spaces/spaces.service';
import { releaseAssetStorage, type AssetKey, type ReleasedStorage } from '../storage/storage-accounting';
import { RoleRefs } from '../roles/role-refs.service';
import { buildAssetFields, needsReingest, type AssetFields, type WriteMode } from './asset-builder';
import { ASSET_DECIDED_COLUMNS } from './asset.fields';
import { assetIdProblem } from './asset-id';
import { parseAssetBody } from './asset-input';
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

/** What a delete removed. */
export interface DeletedAssets {
  /** The assets deleted (in space, id order); empty when none of the keys existed. */
  keys: AssetKey[];
  /** The storage accounting released ({@link releaseAssetStorage}). */
  released: ReleasedStorage;
  /** Batches whose pending members were closed (the batch ledger's updates). */
  batches: LedgerUpdate[];
}

/** Assets one at a time (SPEC.md §3.3 "Assets", §3.4, §4.1), and deletes one or many (§3.3, §8). */
@Injectable()
export class AssetsService {
  constructor(
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
    private readonly relay: OutboxRelay,
    private readonly rulesRepo: ChannelRulesRepository,
    private readonly presenter: AssetPresenter,
    private readonly waiter: IngestWaiter,
    private readonly links: Links,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    private readonly assets: AssetsRepository,
    private readonly spaces: SpacesService,
    private readonly quota: QuotaService,
    private readonly roleRefs: RoleRefs,
  ) {}

  get(customerId: number, spaceId: number, id: string): Promise<Asset | null> {
    return this.assets.get(customerId, spaceId, id);
  }

  /**
   * PUT (create or update), POST (create; id given or minted) or PATCH (supplied fields) of one asset
   * (SPEC.md §3.3, §3.4). Validates everything first (400 listing every field), then:
   * - an existing asset whose `origin`, `mediaType`, `deliveryChannels`, access sizes and role-restriction are
   *   unchanged ({@link needsReingest}) is updated in place: 200, one `asset.updated.v1` (before/after) when
   *   something changed, no ingest;
   * - otherwise the asset is written for a new ingest attempt (`ingesting: true`, `error: null`, attempt + 1) with an
   *   `asset.ingest.requested.v1` outbox row (priority lane), `asset.created.v1` or `asset.updated.v1`, in one
   *   transaction; image/file families then wait for the attempt to end (up to `VELLUM_IMMEDIATE_TIMEOUT_MS`: 202
   *   after it), audio/video answer at once with `ingesting: true`.
   * PUT and PATCH keep the fields the body omits; an explicit empty value clears one (see `WriteMode`).
   * @param signal aborts the wait when the client disconnects.
   * @param upload a file uploaded with the write (SPEC.md §3.3): it becomes the origin (so the write always
   *   ingests), and is committed to the store after validation and the quota check, just before the asset is
   *   written.
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
    const space = await this.spaces.get(customerId, spaceId);
    if (!space) throw notFound(`Space ${spaceId} not found.`);

    const bodyId =
      body && typeof body === 'object' && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
    const id = urlId ?? (typeof bodyId === 'string' && bodyId ? bodyId : randomUUID());
    const existing = await this.get(customerId, spaceId, id);
    if (method === 'PATCH' && !existing) throw notFound(`Asset ${id} not found in space ${spaceId}.`);
    if (method === 'POST' && existing)
      throw conflict(`Asset ${id} already exists in space ${spaceId}; use PUT to replace it.`);

    const fields = await this.decide(method, customerId, space, id, urlId, body, existing, upload);
    // A new file is a new master, whatever the fields say: it reingests.
    if (existing && !upload) {
      const current = existingFields(existing);
      if (!needsReingest(current, fields)) {
        const asset = await this.updateInPlace(existing, current, fields);
        return { status: 200, asset, created: false };
      }
    }

    await this.quota.check(customerId, existing ? 0 : 1, upload?.size);
    await upload?.commit();
    let asset: Asset;
    try {
      asset = await this.writeForIngest(customerId, spaceId, id, fields, existing, true);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Asset ${id} was created concurrently; retry.`);
      throw err;
    }
    return this.awaitIngest(asset, !existing, signal);
  }

  /**
   * `POST .../images/{id}/reingest` (SPEC.md §3.3; seed 004 "reingest"): a new ingest attempt of the asset as it
   * is (no field changes), through the priority lane as an immediate registration; answers like PUT (the
   * finished asset, or 202 with `ingesting: true` past the timeout or for audio/video).
   * @throws 404 when the asset does not exist.
   */
  async reingest(
    customerId: number,
    spaceId: number,
    id: string,
    signal?: AbortSignal,
  ): Promise<AssetWriteResult> {
    const existing = await this.get(customerId, spaceId, id);
    if (!existing) throw notFound(`Asset ${id} not found in space ${spaceId}.`);
    const asset = await this.writeForIngest(
      customerId,
      spaceId,
      id,
      existingFields(existing),
      existing,
      true,
    );
    return this.awaitIngest(asset, false, signal);
  }

  /**
   * `DELETE C/spaces/{s}/images/{id}` (SPEC.md §3.3): see {@link deleteMany}.
   * @throws 404 when the asset does not exist.
   */
  async delete(customerId: number, spaceId: number, id: string, deleteFrom: DeleteFrom[]): Promise<void> {
    const done = await this.deleteMany(customerId, [{ spaceId, id }], deleteFrom);
    if (!done.keys.length) throw notFound(`Asset ${id} not found in space ${spaceId}.`);
  }

  /**
   * Deletes assets of one customer (SPEC.md §3.3 DELETE and `POST C/deleteImages`, §8) in ONE transaction of a
   * fixed number of statements, whatever the count: the asset rows (locked first, in space/id order), their
   * `asset_storage` rows and the space and customer `storage_usage` totals ({@link releaseAssetStorage}), their
   * pending batch members (closed as errors "deleted", the batch counters moved exactly and `batch.completed.v1`
   * written for a batch this completes), and one `asset.deleted.v1` per asset (with `deleteFrom` and the objects
   * its `derivatives` named) through the outbox. Keys that do not exist are skipped. The objects and the delivery
   * caches are removed by the event's consumers (ingest-orchestrator, iiif-delivery).
   */
  async deleteMany(
    customerId: number,
    keys: readonly AssetKey[],
    deleteFrom: DeleteFrom[],
  ): Promise<DeletedAssets> {
    const result = await this.assets.transaction(async (tx) => {
      const rows = await this.assets.findByKeys(customerId, keys, tx, true);
      const gone = rows.map((r) => ({ spaceId: r.spaceId, id: r.id }));
      if (!gone.length)
        return { keys: [], released: await releaseAssetStorage(tx, customerId, gone), batches: [] };
      await this.assets.deleteByKeys(customerId, gone, tx);
      const released = await releaseAssetStorage(tx, customerId, gone);
      const batches = await this.assets.closePendingMembers(customerId, gone, tx);
      const outbox = rows.map((r) =>
        outboxRow(
          Object.assign(new AssetDeletedV1(), {
            customerId,
            spaceId: r.spaceId,
            assetId: r.id,
            deleteFrom,
            objects: derivativeObjects(r.derivatives).filter((o) => BUCKET_NAME.test(o.bucket)),
          }),
          { producer: SERVICE_NAME },
        ),
      );
      for (const { row, justFinished } of batches) {
        if (!justFinished) continue;
        outbox.push(
          outboxRow(batchCompletedEvent(row), {
            producer: SERVICE_NAME,
            priority: row.priority ? PRIORITY_LANE : 0,
          }),
        );
      }
      await this.assets.appendOutbox(outbox, tx);
      return { keys: gone, released, batches };
    }, 30_000);
    if (result.keys.length) this.relay.kick();
    return result;
  }

  /**
   * Validates a write and computes the stored fields (SPEC.md §3.4): the body against the current representation
   * (read-only fields echoed with their value are accepted), id/space against the URL, sealed origin credentials,
   * then {@link buildAssetFields}; on create an echoed `family` must equal the derived one.
   * @throws 400 naming every failed field.
   */
  private async decide(
    method: AssetWriteMethod,
    customerId: number,
    space: Space,
    id: string,
    urlId: string | undefined,
    body: unknown,
    existing: Asset | null,
    upload?: PendingUpload,
  ): Promise<AssetFields> {
    const spaceId = space.id;
    const parsed = parseAssetBody(body, {
      current: existing ? this.presenter.render(existing) : undefined,
      expected: { '@id': this.links.image(customerId, spaceId, id), '@type': 'vocab:Image' },
      fallbackMediaType: existing?.mediaType,
      deferDerived: true,
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
    const sentRoles = parsed.input.dto.roles;
    const [rules, policies, roles] = await Promise.all([
      this.rulesRepo.rules(customerId, [spaceId]),
      this.rulesRepo.policies(customerId),
      Array.isArray(sentRoles) && sentRoles.length
        ? this.roleRefs.resolveAll(customerId, [{ field: 'roles', values: sentRoles }])
        : undefined,
    ]);
    // Roles are stored by name (issue 10): URIs and names of the customer's roles, resolved in one query.
    if (roles) parsed.input.dto.roles = roles.names[0];
    const built = buildAssetFields(parsed.input, {
      customerId,
      spaceId,
      mode,
      existing: existing ? existingFields(existing) : undefined,
      space,
      rules,
      policies,
    });
    if (!built.fields || built.errors.length || roles?.errors.length)
      throw validationProblem([...(roles?.errors ?? []), ...built.errors]);
    const family = parsed.input.derived?.family;
    if (family !== undefined && family !== null && family !== '' && family !== built.fields.family) {
      throw validationProblem([
        {
          field: 'family',
          message: `"family" is read-only (derived: "${built.fields.family}" for these delivery channels and mediaType)`,
        },
      ]);
    }
    return built.fields;
  }

  /** Writes changed fields of an existing asset without an ingest, with `asset.updated.v1` (before/after). */
  private async updateInPlace(existing: Asset, current: AssetFields, fields: AssetFields): Promise<Asset> {
    const changed = ASSET_DECIDED_COLUMNS.some(
      (c) => JSON.stringify(fields[c]) !== JSON.stringify(current[c]),
    );
    if (!changed) return existing;
    const { customerId, spaceId, id } = existing;
    const asset = await this.assets.transaction(async (tx) => {
      const updated = await this.assets.updateFields(customerId, spaceId, id, fields, tx);
      await this.assets.appendOutbox([this.updatedEvent(existing, updated)], tx);
      return updated;
    });
    this.relay.kick();
    return asset;
  }

  /**
   * The answer of a write that started an ingest: audio/video at once; image/file families after the attempt
   * ends (status 201 created / 200 otherwise), or 202 with `ingesting: true` past `VELLUM_IMMEDIATE_TIMEOUT_MS`.
   */
  private async awaitIngest(asset: Asset, created: boolean, signal?: AbortSignal): Promise<AssetWriteResult> {
    const okStatus = created ? 201 : 200;
    if (asset.family === 'T') return { status: okStatus, asset, created };
    const { customerId, spaceId, id } = asset;
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
  updatedEvent(before: Asset, after: Asset): Prisma.OutboxMessageCreateInput {
    const event = Object.assign(new AssetUpdatedV1(), {
      customerId: after.customerId,
      spaceId: after.spaceId,
      assetId: after.id,
      // outboxRow sends the JSON form (dates as ISO strings, absent values dropped).
      before: this.presenter.render(before),
      after: this.presenter.render(after),
    });
    return outboxRow(event, { producer: SERVICE_NAME });
  }

  /** `asset.ingest.requested.v1` outbox row for an attempt (priority lane for immediate registrations). */
  ingestRequest(
    key: { customerId: number; spaceId: number; id: string },
    attempt: number,
    priority: boolean,
  ): Prisma.OutboxMessageCreateInput {
    return outboxRow(
      Object.assign(new AssetIngestRequestedV1(), {
        customerId: key.customerId,
        spaceId: key.spaceId,
        assetId: key.id,
        attempt,
        priority,
      }),
      { priority: priority ? PRIORITY_LANE : 0, producer: SERVICE_NAME },
    );
  }

  /**
   * One transaction: upsert the asset for a new ingest attempt + the outbox command, plus AssetCreatedV1 when new
   * or AssetUpdatedV1 (before/after) when it replaces or changes an existing asset. Kicks the relay after commit.
   */
  private async writeForIngest(
    customerId: number,
    spaceId: number,
    id: string,
    fields: AssetFields,
    before: Asset | null,
    priority: boolean,
  ): Promise<Asset> {
    const asset = await this.assets.transaction(async (tx) => {
      const written = await this.assets.upsertForIngest(customerId, spaceId, id, fields, tx);
      const rows: Prisma.OutboxMessageCreateInput[] = [
        this.ingestRequest({ customerId, spaceId, id }, written.ingestAttempt, priority),
      ];
      if (!before && written.ingestAttempt === 1) {
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
      if (before) rows.push(this.updatedEvent(before, written));
      await this.assets.appendOutbox(rows, tx);
      return written;
    });
    this.relay.kick();
    return asset;
  }
}
