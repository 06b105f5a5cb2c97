import { Injectable } from '@nestjs/common';
import { isUniqueViolation, type Space } from '@vellum/db';
import { AssetsRepository } from '../assets/assets.repository';
import { RoleRefs } from '../roles/role-refs.service';
import { conflict, notFound, validationProblem } from '../http/problems';
import type { SpaceBodyDto } from './space.dto';
import { SPACE_FIELDS, type SpaceRow } from './space.fields';
import { SpacesRepository, type SpaceColumns } from './spaces.repository';

/** A space body as validated (PATCH/PUT: any field may be absent; `null` clears a default). */
type SpaceData = { [K in keyof SpaceBodyDto]?: SpaceBodyDto[K] | null };

const nameTaken = (name: string, id: number) =>
  conflict(`A space named "${name}" already exists (space ${id}).`);

/**
 * Spaces (SPEC.md §3.3 "Spaces"): integer ids per customer, names unique per customer, defaults applied to new
 * assets (by `assets/asset-builder.ts`), deleted only when empty.
 */
@Injectable()
export class SpacesService {
  constructor(
    private readonly repo: SpacesRepository,
    private readonly assets: AssetsRepository,
    private readonly roleRefs: RoleRefs,
  ) {}

  /** `defaultRoles` as role names (input: role URIs or names of existing roles). @throws 400 naming unknown roles. */
  private async withRoleNames(customerId: number, data: SpaceData): Promise<SpaceData> {
    if (!Array.isArray(data.defaultRoles)) return data;
    return {
      ...data,
      defaultRoles: await this.roleRefs.resolve(customerId, 'defaultRoles', data.defaultRoles),
    };
  }

  /** One space, or null. */
  get(customerId: number, id: number): Promise<Space | null> {
    return this.repo.get(customerId, id);
  }

  /** True when the customer has space `id` (one prepared statement). */
  exists(customerId: number, id: number): Promise<boolean> {
    return this.repo.exists(customerId, id);
  }

  /**
   * One space with `approximateNumberOfImages` (an exact `count(*)` over the `(customerId, spaceId, created)`
   * index: about a millisecond at 10,000 assets). @throws 404.
   */
  async getWithCount(customerId: number, id: number): Promise<SpaceRow> {
    const space = await this.repo.get(customerId, id);
    if (!space) throw notFound(`Space ${id} not found.`);
    return this.withCount(space);
  }

  /**
   * Creates a space at the customer's next free id (`POST`), or at `id` (`PUT` of a new id).
   * @throws 400 without a name, 409 when the name is taken (or, for `id`, a space has that id).
   */
  async create(customerId: number, data: SpaceData, id?: number): Promise<SpaceRow> {
    data = await this.withRoleNames(customerId, data);
    const name = data.name;
    if (typeof name !== 'string')
      throw validationProblem([{ field: 'name', message: 'name is required to create a space' }]);
    const columns = { ...(SPACE_FIELDS.toColumns(data) as SpaceColumns), name };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.repo.transaction(async (tx) => {
          const clash = await this.repo.named(customerId, name, undefined, tx);
          if (clash) throw nameTaken(name, clash.id);
          return { ...(await this.repo.create(customerId, columns, id, tx)), approximateNumberOfImages: 0 };
        });
      } catch (err) {
        // A concurrent create took the same next id: retry with the next one.
        if (isUniqueViolation(err) && id === undefined && attempt < 3) continue;
        if (isUniqueViolation(err))
          throw conflict(
            `A space named "${name}"${id !== undefined ? ` or with id ${id}` : ''} already exists.`,
          );
        throw err;
      }
    }
  }

  /**
   * Changes the supplied fields of a space (`PATCH`, and `PUT` of an existing id: omitted fields keep their
   * values; `null` clears a default; the name cannot be removed).
   * @throws 404 when it does not exist, 400 for a null name, 409 when the new name is taken.
   */
  async update(customerId: number, id: number, data: SpaceData): Promise<SpaceRow> {
    if (data.name === null) throw validationProblem([{ field: 'name', message: 'name cannot be removed' }]);
    data = await this.withRoleNames(customerId, data);
    const columns = SPACE_FIELDS.toColumns(data) as SpaceColumns;
    try {
      const space = await this.repo.transaction(async (tx) => {
        if (!(await this.repo.lock(customerId, id, tx))) throw notFound(`Space ${id} not found.`);
        if (columns.name !== undefined) {
          const clash = await this.repo.named(customerId, columns.name, id, tx);
          if (clash) throw nameTaken(columns.name, clash.id);
        }
        return (await this.repo.update(customerId, id, columns, tx))!;
      });
      return await this.withCount(space);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A space named "${columns.name}" already exists.`);
      throw err;
    }
  }

  /**
   * `PUT C/spaces/{s}` (SPEC.md §3.3): creates the space at this id when there is none (`created: true`, 201), else
   * updates it like PATCH. A concurrent PUT creating the same id makes this one an update.
   */
  async put(customerId: number, id: number, data: SpaceData): Promise<{ created: boolean; space: SpaceRow }> {
    if (!(await this.repo.get(customerId, id))) {
      try {
        return { created: true, space: await this.create(customerId, data, id) };
      } catch (err) {
        // Lost the race for this id to another PUT (the name check passed): update what it created.
        if (!(await this.repo.get(customerId, id))) throw err;
      }
    }
    return { created: false, space: await this.update(customerId, id, data) };
  }

  /**
   * Deletes an empty space (SPEC.md §3.3) with its customer-space rows (default delivery channel rules, storage
   * accounting). @throws 404 when it does not exist, 409 while it holds any asset.
   */
  async delete(customerId: number, id: number): Promise<void> {
    await this.repo.transaction(async (tx) => {
      if (!(await this.repo.lock(customerId, id, tx))) throw notFound(`Space ${id} not found.`);
      const count = await this.assets.countInSpace(customerId, id);
      if (count > 0)
        throw conflict(`Space ${id} still holds ${count} asset${count === 1 ? '' : 's'}; delete them first.`);
      await this.repo.delete(customerId, id, tx);
    });
  }

  private async withCount(space: Space): Promise<SpaceRow> {
    return {
      ...space,
      approximateNumberOfImages: await this.assets.countInSpace(space.customerId, space.id),
    };
  }
}
