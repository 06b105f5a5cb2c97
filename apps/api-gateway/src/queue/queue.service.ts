import { Inject, Injectable } from '@nestjs/common';
import { AssetCreatedV1, AssetIngestRequestedV1 } from '@vellum/contracts';
import type { Batch, Prisma } from '@vellum/db';
import { OutboxRelay, outboxRow, PRIORITY_LANE } from '@vellum/messaging';
import { storedOriginFor, type SecretBox } from '@vellum/secrets';
import { SECRET_BOX } from '../config/gateway-env';
import { RoleRefs } from '../roles/role-refs.service';
import { buildAssetFields, type AssetFields } from '../assets/asset-builder';
import { parseAssetBody } from '../assets/asset-input';
import { AssetsRepository, type LandedMember } from '../assets/assets.repository';
import { ChannelRulesRepository } from '../delivery-channel-policies/channel-rules.repository';
import { SERVICE_NAME } from '../customers/customers.service';
import type { FieldError } from '../http/hydra';
import { validationProblem } from '../http/problems';
import { BatchesRepository } from './batches.repository';
import { QuotaService } from '../storage/quota.service';

/** Most members one queue POST may carry (SPEC.md §3.3 "Queue and batches"). */
export const MAX_BATCH_MEMBERS = 500;

interface PreparedMember {
  spaceId: number;
  id: string;
  fields: AssetFields;
}

/** A batch that passed validation (see {@link QueueService.validate}), ready to be accepted. */
export interface ValidatedBatch {
  readonly priority: boolean;
  readonly members: readonly PreparedMember[];
  /** Members that create an asset (not replace one), for the quota. */
  readonly newAssets: number;
}

/** Files stored with a batch (multipart `POST C/queue`): committed just before the batch is written. */
export interface BatchFiles {
  /** Bytes of every file, for the storage quota. */
  readonly bytes: number;
  /** Makes the store hold every file. @throws 503 problem when the store fails (nothing is then kept) */
  commit(): Promise<void>;
  /** Removes the committed files (the batch was not written). */
  rollback(): Promise<void>;
}

/**
 * The `asset.ingest.requested.v1` outbox rows of a batch's landed members (priority lane for a priority batch).
 * Shared by submissions and `reingestErrors`.
 */
export function ingestRequests(
  customerId: number,
  batch: Pick<Batch, 'id' | 'priority'>,
  landed: LandedMember[],
): Prisma.OutboxMessageCreateInput[] {
  return landed.map((r) =>
    outboxRow(
      Object.assign(new AssetIngestRequestedV1(), {
        customerId,
        spaceId: r.spaceId,
        assetId: r.assetId,
        attempt: r.attempt,
        batchId: batch.id,
        priority: batch.priority,
      }),
      { priority: batch.priority ? PRIORITY_LANE : 0, producer: SERVICE_NAME },
    ),
  );
}

/**
 * The queue (SPEC.md §3.3 "Queue and batches", §4.1 step 1): validates a whole Hydra collection of assets, then
 * writes every asset, the batch row, the batch members and one `asset.ingest.requested.v1` outbox row per member
 * in ONE transaction made of a handful of bulk statements (a 500-member batch is accepted in well under 1 s).
 */
@Injectable()
export class QueueService {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly rulesRepo: ChannelRulesRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    private readonly assets: AssetsRepository,
    private readonly batches: BatchesRepository,
    private readonly quota: QuotaService,
    private readonly roleRefs: RoleRefs,
  ) {}

  /**
   * Accepts a batch.
   * @param priority true for `C/queue/priority` (images only, AMQP priority lane).
   * @throws 400 problem listing every problem by member index (`member[3].origin`...).
   */
  async submit(customerId: number, body: unknown, priority: boolean): Promise<Batch> {
    return this.accept(customerId, await this.validate(customerId, body, priority));
  }

  /**
   * Validates a whole batch (SPEC.md §3.3) without writing anything.
   * @param files multipart uploads: `pre` looks at the raw members before they are checked (takes their `file`
   *   out; its errors are listed with the others), `origin(i, spaceId, id)` gives member i's stored origin.
   * @throws 400 problem listing every problem by member index (`member[3].origin`...).
   */
  async validate(
    customerId: number,
    body: unknown,
    priority: boolean,
    files?: {
      pre: (members: unknown[]) => FieldError[];
      origin: (index: number, spaceId: number, id: string) => string | undefined;
    },
  ): Promise<ValidatedBatch> {
    const members = this.membersOf(body);
    const errors: FieldError[] = files ? files.pre(members) : [];

    // 1. Shape of each member, ids and duplicates.
    const parsed = members.map((m, i) => {
      const prefix = `member[${i}].`;
      const r = parseAssetBody(m, { prefix });
      errors.push(...r.errors);
      const dto = r.input?.dto;
      if (r.input) {
        if (dto?.space === undefined || dto.space === null)
          errors.push({ field: `${prefix}space`, message: 'space is required in queue members' });
        else if (dto.space < 1)
          errors.push({ field: `${prefix}space`, message: 'space must be a positive integer' });
        if (dto?.id === undefined || dto.id === null)
          errors.push({ field: `${prefix}id`, message: 'id is required in queue members' });
      }
      return r.input;
    });
    const seen = new Map<string, number>();
    parsed.forEach((p, i) => {
      if (!p || typeof p.dto.space !== 'number' || typeof p.dto.id !== 'string') return;
      const key = `${p.dto.space}/${p.dto.id}`;
      const first = seen.get(key);
      if (first !== undefined)
        errors.push({
          field: `member[${i}].id`,
          message: `duplicate of member[${first}] (space ${p.dto.space}, id "${p.dto.id}")`,
        });
      else seen.set(key, i);
    });

    // 2. Spaces exist; existing assets (for replace semantics and attempt numbers).
    const spaceIds = [
      ...new Set(
        parsed.flatMap((p) =>
          p && typeof p.dto.space === 'number' && p.dto.space >= 1 ? [p.dto.space] : [],
        ),
      ),
    ];
    const keys = parsed.flatMap((p) =>
      p && typeof p.dto.space === 'number' && typeof p.dto.id === 'string'
        ? [{ spaceId: p.dto.space, id: p.dto.id }]
        : [],
    );
    // Roles are stored by name (issue 10): every member's role URIs and names resolved in one query.
    const withRoles = parsed.flatMap((p, i) =>
      p && Array.isArray(p.dto.roles) && p.dto.roles.length ? [{ p, i }] : [],
    );
    const [spaces, existingByKey, rules, policies, roles] = await Promise.all([
      this.batches.spaces(customerId, spaceIds),
      this.assets.existing(customerId, keys),
      this.rulesRepo.rules(customerId, spaceIds),
      this.rulesRepo.policies(customerId),
      this.roleRefs.resolveAll(
        customerId,
        withRoles.map(({ p, i }) => ({ field: `member[${i}].roles`, values: p.dto.roles as string[] })),
      ),
    ]);
    errors.push(...roles.errors);
    withRoles.forEach(({ p }, j) => (p.dto.roles = roles.names[j]));
    const spaceById = new Map(spaces.map((s) => [s.id, s]));

    // 3. Fields of each member (required fields, channels, defaults), all errors collected.
    const prepared: PreparedMember[] = [];
    parsed.forEach((p, i) => {
      if (!p || typeof p.dto.space !== 'number' || typeof p.dto.id !== 'string') return;
      const prefix = `member[${i}].`;
      const space = spaceById.get(p.dto.space);
      if (!space) {
        errors.push({ field: `${prefix}space`, message: `space ${p.dto.space} does not exist` });
        return;
      }
      const existing = existingByKey.get(`${p.dto.space}/${p.dto.id}`);
      // Credentials in the origin are sealed (SPEC.md §10); sending back the rendered origin keeps them.
      if (typeof p.dto.origin === 'string' && p.dto.origin)
        p.dto.origin = storedOriginFor(p.dto.origin, existing?.origin, this.secrets);
      const uploaded = files?.origin(i, space.id, p.dto.id);
      if (uploaded) {
        p.dto.origin = uploaded;
        p.sent.add('origin');
      }
      const built = buildAssetFields(p, {
        customerId,
        spaceId: space.id,
        mode: existing ? 'replace' : 'create',
        existing,
        space,
        rules,
        policies,
        prefix,
      });
      errors.push(...built.errors);
      if (!built.fields) return;
      if (priority && built.fields.family !== 'I') {
        errors.push({
          field: `${prefix}mediaType`,
          message: 'the priority queue takes images only (family I)',
        });
      }
      prepared.push({ spaceId: space.id, id: p.dto.id, fields: built.fields });
    });
    if (errors.length)
      throw validationProblem(
        errors,
        `The batch was not accepted: ${errors.length} problem${errors.length === 1 ? '' : 's'}.`,
      );

    return {
      priority,
      members: prepared,
      newAssets: prepared.filter((m) => !existingByKey.has(`${m.spaceId}/${m.id}`)).length,
    };
  }

  /**
   * Writes a validated batch: quota (507), then the files if any (committed first, removed again when the batch
   * cannot be written), then the batch, its assets and outbox rows in one transaction.
   */
  async accept(customerId: number, v: ValidatedBatch, files?: BatchFiles): Promise<Batch> {
    await this.quota.check(customerId, v.newAssets, files?.bytes);
    await files?.commit();
    let batch: Batch;
    try {
      batch = await this.persist(customerId, [...v.members], v.priority);
    } catch (err) {
      await files?.rollback();
      throw err;
    }
    this.relay.kick();
    return batch;
  }

  private membersOf(body: unknown): unknown[] {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw validationProblem([
        {
          field: 'body',
          message: 'the body must be a Hydra Collection: {"@type": "Collection", "member": [...]}',
        },
      ]);
    }
    const b = body as Record<string, unknown>;
    const errors: FieldError[] = [];
    const type = b['@type'];
    if (type !== undefined && type !== 'Collection' && type !== 'hydra:Collection') {
      errors.push({ field: '@type', message: '@type must be "Collection"' });
    }
    const member = b.member ?? b.members;
    if (!Array.isArray(member))
      errors.push({ field: 'member', message: 'member must be an array of assets' });
    else if (member.length === 0)
      errors.push({ field: 'member', message: 'member must hold at least one asset' });
    else if (member.length > MAX_BATCH_MEMBERS) {
      errors.push({
        field: 'member',
        message: `a batch may hold at most ${MAX_BATCH_MEMBERS} members (got ${member.length}); split it`,
      });
    }
    if (errors.length) throw validationProblem(errors);
    return member as unknown[];
  }

  /**
   * Writes the batch in one transaction of a handful of statements, whatever the member count: the batch row; one
   * `INSERT ... ON CONFLICT DO UPDATE` of every asset (new attempt: `ingesting`, `error` cleared, attempt + 1,
   * `created` kept on replace) chained to the `batch_members` insert; one insert of every outbox row; and the
   * batches the resubmitted assets left, marked superseded when none of their assets is still in them.
   * (Prisma's createMany costs ~1 ms per row here; `jsonb_to_recordset` keeps a 500-member batch well under 1 s.)
   */
  private async persist(customerId: number, members: PreparedMember[], priority: boolean): Promise<Batch> {
    return this.batches.transaction(async (tx) => {
      const left = await this.batches.currentBatchIds(
        customerId,
        members.map((m) => ({ spaceId: m.spaceId, id: m.id })),
        tx,
      );
      const batch = await this.batches.create(customerId, members.length, priority, tx);
      const landed = await this.assets.upsertBatchMembers(customerId, batch.id, members, tx);
      if (landed.length !== members.length)
        throw new Error(`batch ${batch.id}: wrote ${landed.length} of ${members.length} members`);
      const mediaTypes = new Map(members.map((m) => [`${m.spaceId}/${m.id}`, m.fields.mediaType]));
      const outbox = ingestRequests(customerId, batch, landed);
      for (const r of landed) {
        if (r.attempt !== 1) continue;
        outbox.push(
          outboxRow(
            Object.assign(new AssetCreatedV1(), {
              customerId,
              spaceId: r.spaceId,
              assetId: r.assetId,
              mediaType: mediaTypes.get(`${r.spaceId}/${r.assetId}`)!,
            }),
            { producer: SERVICE_NAME },
          ),
        );
      }
      await this.batches.writeOutbox(outbox, tx);
      await this.batches.markSuperseded(customerId, left, tx);
      return batch;
    }, 30_000);
  }
}
