import { Injectable } from '@nestjs/common';
import type { Asset, Prisma } from '@vellum/db';
import { OutboxRelay } from '@vellum/messaging';
import type { CustomerRef } from '../auth/principal';
import type { FieldError } from '../http/hydra';
import { LIMITS } from '../http/limits';
import { notFound, validationProblem } from '../http/problems';
import { SpacesService } from '../spaces/spaces.service';
import type { AssetKey } from '../storage/storage-accounting';
import { RoleRefs } from '../roles/role-refs.service';
import type { AssetFields } from './asset-builder';
import { parseAssetBody, READ_ONLY_FIELDS } from './asset-input';
import { collectionMembers, parseRefMembers } from './asset-refs';
import { AssetPresenter, existingFields } from './asset.presenter';
import { AssetsRepository, BULK_COLUMNS, type BulkColumn, type BulkRow } from './assets.repository';
import { AssetsService } from './assets.service';

/**
 * The fields `PATCH C/spaces/{s}/images` may change: the metadata fields of SPEC.md §1 ("Metadata fields on every
 * asset: tags, string1..3, number1..3, manifests"), which mean nothing to processing or access. `roles` changes
 * access, so it is left to `PATCH C/allImages` (field `roles`) and to one-asset PATCH.
 */
export const SPACE_PATCH_FIELDS = [
  'tags',
  'manifests',
  'string1',
  'string2',
  'string3',
  'number1',
  'number2',
  'number3',
] as const satisfies readonly BulkColumn[];

/** Fields of `PATCH C/allImages` (SPEC.md §3.3): the metadata fields plus `roles`. */
export const ALL_IMAGES_PATCH_FIELDS = [
  'manifests',
  'tags',
  'roles',
  'string1',
  'string2',
  'string3',
  'number1',
  'number2',
  'number3',
] as const satisfies readonly BulkColumn[];
export type AllImagesPatchField = (typeof ALL_IMAGES_PATCH_FIELDS)[number];

/** The list-valued fields (`value` an array; `add`/`remove` allowed). */
export const LIST_FIELDS = ['manifests', 'tags', 'roles'] as const;
type ListField = (typeof LIST_FIELDS)[number];
const isListField = (f: string): f is ListField => (LIST_FIELDS as readonly string[]).includes(f);

export const PATCH_OPERATIONS = ['add', 'remove', 'replace'] as const;
export type PatchOperation = (typeof PATCH_OPERATIONS)[number];

/** Most entries of each list field (SPEC.md §10 limits). */
const LIST_LIMITS: Record<ListField, number> = {
  manifests: LIMITS.manifests,
  tags: LIMITS.tags,
  roles: LIMITS.roles,
};

/** A validated `PATCH C/allImages` operation. */
export interface AllImagesPatch {
  field: AllImagesPatchField;
  operation: PatchOperation;
  /** A list (list fields) or a scalar / null (string1..3, number1..3). */
  value: string[] | string | number | null;
}

/** The new value of every bulk column of one asset, from its locked row and the current values of those columns. */
type Change = (row: Asset, current: Pick<AssetFields, BulkColumn>) => Pick<AssetFields, BulkColumn>;

const dedupe = (list: readonly string[]): string[] => [...new Set(list)];

/**
 * Assets in bulk (SPEC.md §3.3 "Assets in bulk"): `POST C/allImages` (fetch), `PATCH C/spaces/{s}/images` and
 * `PATCH C/allImages` (metadata edits). Every write is one transaction of a fixed number of statements, whatever
 * the member count: the rows locked in one statement, one `UPDATE ... FROM jsonb_to_recordset`, one outbox insert.
 * Each changed asset gets one `asset.updated.v1` (before/after). A change that gives an asset its first role or
 * takes its last (only `PATCH C/allImages` can change roles) also starts a new ingest attempt of that asset
 * (`asset.ingest.requested.v1`, normal lane), because whether an asset has roles decides which of its thumbnails
 * are open (SPEC.md §6), and those are made at ingest; the image API applies roles at request time, so a role
 * change among restricted assets takes effect when iiif-delivery hears `asset.updated.v1`.
 */
@Injectable()
export class AssetsBulkService {
  constructor(
    private readonly assets: AssetsRepository,
    private readonly single: AssetsService,
    private readonly presenter: AssetPresenter,
    private readonly relay: OutboxRelay,
    private readonly spaces: SpacesService,
    private readonly roleRefs: RoleRefs,
  ) {}

  /** The customer's assets among `keys`, in request order (unknown ones skipped). One statement. */
  async fetch(customerId: number, keys: readonly AssetKey[]): Promise<Asset[]> {
    const rows = await this.assets.findByKeys(customerId, keys);
    return inOrderOf(keys, rows);
  }

  /**
   * `PATCH C/spaces/{s}/images` (SPEC.md §3.3): a Hydra Collection of partial assets named by bare `id`, each
   * changing only the metadata fields it sends ({@link SPACE_PATCH_FIELDS}; an explicit empty value clears one).
   * Read-only fields echoed with their current value are accepted. The whole collection is validated before
   * anything changes.
   * @returns the patched assets, in request order.
   * @throws 404 unknown space; 400 naming `member[i].field`: another writable field, a bad value, a missing,
   *   duplicate or unknown `id`, a `space` other than the URL's; `member` missing, empty or over 500.
   */
  async patchSpace(customerId: number, spaceId: number, body: unknown): Promise<Asset[]> {
    if (!(await this.spaces.exists(customerId, spaceId))) throw notFound(`Space ${spaceId} not found.`);
    const errors: FieldError[] = [];
    const members = collectionMembers(body, errors, 'partial assets');
    const ids = members.map((m) =>
      m && typeof m === 'object' && !Array.isArray(m) && typeof (m as { id?: unknown }).id === 'string'
        ? (m as { id: string }).id
        : undefined,
    );
    const current = new Map(
      (
        await this.assets.findByKeys(
          customerId,
          ids.flatMap((id) => (id ? [{ spaceId, id }] : [])),
        )
      ).map((a) => [a.id, a]),
    );
    const changes = new Map<string, Partial<Pick<AssetFields, BulkColumn>>>();
    const seen = new Map<string, number>();
    members.forEach((m, i) => {
      const prefix = `member[${i}].`;
      const id = ids[i];
      const asset = id ? current.get(id) : undefined;
      // The representation is rendered only for members that echo read-only fields (`@id`, `family`...).
      const echoes =
        !!asset && !!m && typeof m === 'object' && Object.keys(m).some((k) => READ_ONLY_FIELDS.includes(k));
      const parsed = parseAssetBody(m, {
        prefix,
        current: echoes ? this.presenter.render(asset) : undefined,
      });
      errors.push(...parsed.errors);
      if (!parsed.input) return;
      const { dto, sent } = parsed.input;
      if (!id) {
        errors.push({ field: `${prefix}id`, message: 'id is required: each member names its asset by id' });
        return;
      }
      if (seen.has(id)) {
        errors.push({ field: `${prefix}id`, message: `duplicate of member[${seen.get(id)}]` });
        return;
      }
      seen.set(id, i);
      if (!asset) {
        errors.push({ field: `${prefix}id`, message: `asset "${id}" does not exist in space ${spaceId}` });
        return;
      }
      if (dto.space !== undefined && dto.space !== null && dto.space !== spaceId)
        errors.push({
          field: `${prefix}space`,
          message: `space ${dto.space} does not match the URL (${spaceId})`,
        });
      const change: Partial<Pick<AssetFields, BulkColumn>> = {};
      for (const key of sent) {
        if (key === 'id' || key === 'space') continue;
        if (!(SPACE_PATCH_FIELDS as readonly string[]).includes(key)) {
          errors.push({
            field: `${prefix}${key}`,
            message: `"${key}" cannot be changed in bulk: only ${SPACE_PATCH_FIELDS.join(', ')}; use PATCH .../images/{id} (or PATCH C/allImages for roles)`,
          });
          continue;
        }
        const v = dto[key as (typeof SPACE_PATCH_FIELDS)[number]];
        (change as Record<string, unknown>)[key] = isListField(key)
          ? dedupe((v as string[] | null | undefined) ?? [])
          : v === undefined || v === ''
            ? null
            : v;
      }
      changes.set(id, change);
    });
    if (errors.length) throw validationProblem(errors);
    const keys = [...changes.keys()].map((id) => ({ spaceId, id }));
    const patched = await this.apply(customerId, keys, (row, cur) => ({ ...cur, ...changes.get(row.id) }));
    return inOrderOf(keys, patched);
  }

  /**
   * `PATCH C/allImages` (SPEC.md §3.3): `{field, operation, value, member: [{id: "c/s/id"}]}` applied to every
   * named asset of the customer; unknown members skipped. `add` appends the values an asset lacks (order kept),
   * `remove` drops them, `replace` sets the list (list fields) or the value (`string1..3`/`number1..3`, replace
   * only; `null` clears).
   * @returns the updated assets, in request order.
   * @throws 400 naming `field`, `operation`, `value[...]`, `member[i].id` (another customer's, malformed), or
   *   `value` when an `add` would exceed a list's limit for an asset.
   */
  async patchAll(customer: CustomerRef, body: unknown): Promise<Asset[]> {
    const errors: FieldError[] = [];
    const patch = parsePatchOperation(body, errors);
    const members = collectionMembers(body, errors, 'asset references {"id": "{customer}/{space}/{id}"}');
    const keys = parseRefMembers(members, customer, errors);
    // Roles are stored by name (issue 10): the values are URIs or names of the customer's roles.
    if (patch?.field === 'roles' && Array.isArray(patch.value) && patch.value.length) {
      const resolved = await this.roleRefs.resolveAll(customer.id, [{ field: 'value', values: patch.value }]);
      errors.push(...resolved.errors);
      patch.value = resolved.names[0];
    }
    if (errors.length || !patch) throw validationProblem(errors);
    const patched = await this.apply(customer.id, keys, (row, next) => {
      const f = patch.field;
      if (isListField(f)) {
        const values = patch.value as string[];
        const list =
          patch.operation === 'replace'
            ? dedupe(values)
            : patch.operation === 'add'
              ? [...next[f], ...dedupe(values).filter((v) => !next[f].includes(v))]
              : next[f].filter((v) => !values.includes(v));
        if (list.length > LIST_LIMITS[f])
          throw validationProblem([
            {
              field: 'value',
              message: `adding these ${f} would give asset ${customer.id}/${row.spaceId}/${row.id} more than ${LIST_LIMITS[f]}`,
            },
          ]);
        next[f] = list;
      } else {
        (next as Record<string, unknown>)[f] = patch.value === '' ? null : patch.value;
      }
      return next;
    });
    return inOrderOf(keys, patched);
  }

  /**
   * The transaction of a bulk edit: locks the rows of `keys` (one statement, fixed order), computes each one's
   * bulk columns with `change`, writes the changed ones (one statement; a role-restriction flip also starts a new
   * ingest attempt), then one outbox insert (`asset.updated.v1` per changed asset, `asset.ingest.requested.v1` per
   * re-ingested one). Returns every locked row as it now is.
   */
  private async apply(customerId: number, keys: readonly AssetKey[], change: Change): Promise<Asset[]> {
    if (!keys.length) return [];
    const { rows, wrote } = await this.assets.transaction(async (tx) => {
      const locked = await this.assets.findByKeys(customerId, keys, tx, true);
      const updates: BulkRow[] = [];
      for (const row of locked) {
        const before = pickBulk(existingFields(row));
        const after = change(row, pickBulk(existingFields(row)));
        if (BULK_COLUMNS.every((c) => JSON.stringify(after[c]) === JSON.stringify(before[c]))) continue;
        updates.push({
          spaceId: row.spaceId,
          id: row.id,
          ...after,
          reingest: after.roles.length > 0 !== before.roles.length > 0,
        });
      }
      const written = await this.assets.bulkUpdate(customerId, updates, tx);
      const byKey = new Map(locked.map((r) => [`${r.spaceId}/${r.id}`, r]));
      const reingest = new Set(updates.filter((u) => u.reingest).map((u) => `${u.spaceId}/${u.id}`));
      const outbox: Prisma.OutboxMessageCreateInput[] = [];
      for (const after of written) {
        const key = `${after.spaceId}/${after.id}`;
        outbox.push(this.single.updatedEvent(byKey.get(key)!, after));
        if (reingest.has(key))
          outbox.push(
            this.single.ingestRequest(
              { customerId, spaceId: after.spaceId, id: after.id },
              after.ingestAttempt,
              false,
            ),
          );
        byKey.set(key, after);
      }
      await this.assets.appendOutbox(outbox, tx);
      return { rows: [...byKey.values()], wrote: written.length };
    }, 30_000);
    if (wrote) this.relay.kick();
    return rows;
  }
}

/** The bulk columns of a row's builder view. */
function pickBulk(f: AssetFields): Pick<AssetFields, BulkColumn> {
  const out: Record<string, unknown> = {};
  for (const c of BULK_COLUMNS) out[c] = Array.isArray(f[c]) ? [...(f[c] as string[])] : f[c];
  return out as Pick<AssetFields, BulkColumn>;
}

/** `rows` in the order of `keys` (keys without a row skipped). */
function inOrderOf(keys: readonly AssetKey[], rows: readonly Asset[]): Asset[] {
  const byKey = new Map(rows.map((r) => [`${r.spaceId}/${r.id}`, r]));
  return keys.flatMap((k) => {
    const r = byKey.get(`${k.spaceId}/${k.id}`);
    return r ? [r] : [];
  });
}

/**
 * Validates the operation of a `PATCH C/allImages` body (SPEC.md §3.3): `field` one of
 * {@link ALL_IMAGES_PATCH_FIELDS}, `operation` `add`|`remove`|`replace` (only `replace` for the scalar fields),
 * `value` an array of strings for the list fields (each within the field's limits), a string / int4 / null for the
 * scalar ones. Unknown top-level fields are refused by the route's body contract.
 * @returns the operation, or undefined with problems added to `errors`.
 */
export function parsePatchOperation(body: unknown, errors: FieldError[]): AllImagesPatch | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const before = errors.length;
  const field = b.field;
  const operation = b.operation;
  if (typeof field !== 'string' || !(ALL_IMAGES_PATCH_FIELDS as readonly string[]).includes(field))
    errors.push({ field: 'field', message: `field must be one of ${ALL_IMAGES_PATCH_FIELDS.join(', ')}` });
  if (typeof operation !== 'string' || !(PATCH_OPERATIONS as readonly string[]).includes(operation))
    errors.push({ field: 'operation', message: `operation must be one of ${PATCH_OPERATIONS.join(', ')}` });
  else if (typeof field === 'string' && !isListField(field) && operation !== 'replace')
    errors.push({
      field: 'operation',
      message: `"${operation}" needs a list field (${LIST_FIELDS.join(', ')}); ${field} takes "replace" only`,
    });
  if (!('value' in b)) errors.push({ field: 'value', message: 'value is required' });
  else if (typeof field === 'string' && (ALL_IMAGES_PATCH_FIELDS as readonly string[]).includes(field)) {
    if (isListField(field) && !Array.isArray(b.value)) {
      errors.push({ field: 'value', message: `value must be an array of strings for ${field}` });
    } else {
      // The value must be what the asset body accepts for that field (types, lengths, counts).
      const r = parseAssetBody({ [field]: b.value });
      for (const e of r.errors)
        errors.push({ field: e.field.replace(new RegExp(`^${field}`), 'value'), message: e.message });
    }
  }
  if (errors.length > before) return undefined;
  return {
    field: field as AllImagesPatchField,
    operation: operation as PatchOperation,
    value: b.value as AllImagesPatch['value'],
  };
}
