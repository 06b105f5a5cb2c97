import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, isUniqueViolation, type PrismaClient, type Space } from '@vellum/db';
import { conflict, notFound } from '../http/problems';
import type { SpaceBodyDto } from './space.dto';

type SpaceData = Partial<Omit<SpaceBodyDto, never>>;

/** Spaces (SPEC.md §3.3 "Spaces"): integer ids per customer, unique names, defaults applied to new assets. */
@Injectable()
export class SpacesService {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async list(
    customerId: number,
    skip: number,
    take: number,
    orderBy: 'id' | 'name' | 'created' = 'id',
    descending = false,
  ) {
    const where = { customerId };
    return this.prisma.$transaction([
      this.prisma.space.findMany({ where, skip, take, orderBy: { [orderBy]: descending ? 'desc' : 'asc' } }),
      this.prisma.space.count({ where }),
    ]);
  }

  get(customerId: number, id: number): Promise<Space | null> {
    return this.prisma.space.findUnique({ where: { customerId_id: { customerId, id } } });
  }

  /** Number of assets in a space (SPEC.md §3.3 `approximateNumberOfImages`). */
  countImages(customerId: number, spaceId: number): Promise<number> {
    return this.prisma.asset.count({ where: { customerId, spaceId } });
  }

  /**
   * Creates a space with the next free id (or `id` when given, for PUT).
   * @throws 409 when the name is taken (or the id exists, for PUT).
   */
  async create(customerId: number, data: SpaceBodyDto, id?: number): Promise<Space> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.prisma.$transaction(async (tx) => {
          await this.assertNameFree(tx, customerId, data.name);
          let spaceId = id;
          if (spaceId === undefined) {
            const max = await tx.space.aggregate({ where: { customerId }, _max: { id: true } });
            spaceId = (max._max.id ?? 0) + 1;
          }
          return tx.space.create({ data: { ...pick(data), customerId, id: spaceId, name: data.name } });
        });
      } catch (err) {
        // A concurrent create took the same id or name: re-check and retry.
        if (isUniqueViolation(err) && attempt < 3 && id === undefined) continue;
        if (isUniqueViolation(err))
          throw conflict(`A space named "${data.name}" (or with id ${id}) already exists.`);
        throw err;
      }
    }
  }

  /** Updates (PUT: every field; PATCH: supplied fields). @throws 404, 409 on a duplicate name. */
  async update(customerId: number, id: number, data: SpaceData, replace: boolean): Promise<Space> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const existing = await tx.space.findUnique({ where: { customerId_id: { customerId, id } } });
        if (!existing) throw notFound(`Space ${id} not found.`);
        if (data.name !== undefined && data.name !== existing.name)
          await this.assertNameFree(tx, customerId, data.name);
        const values = replace
          ? {
              name: data.name!,
              defaultTags: data.defaultTags ?? [],
              defaultRoles: data.defaultRoles ?? [],
              defaultMaxWidth: data.defaultMaxWidth ?? 0,
              defaultOpenFullMax: data.defaultOpenFullMax ?? 0,
              defaultOpenMaxWidth: data.defaultOpenMaxWidth ?? 0,
            }
          : pick(data);
        return tx.space.update({ where: { customerId_id: { customerId, id } }, data: values });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A space named "${data.name}" already exists.`);
      throw err;
    }
  }

  private async assertNameFree(
    tx: Pick<PrismaClient, 'space'>,
    customerId: number,
    name: string,
  ): Promise<void> {
    const clash = await tx.space.findUnique({ where: { customerId_name: { customerId, name } } });
    if (clash) throw conflict(`A space named "${name}" already exists (space ${clash.id}).`);
  }
}

/** The empty value an explicit `null` stands for (SPEC.md §3.3: "an explicit empty value clears one"). */
const CLEARED = {
  defaultTags: [],
  defaultRoles: [],
  defaultMaxWidth: 0,
  defaultOpenFullMax: 0,
  defaultOpenMaxWidth: 0,
};

function pick(data: SpaceData) {
  const out: SpaceData = {};
  for (const k of [
    'name',
    'defaultTags',
    'defaultRoles',
    'defaultMaxWidth',
    'defaultOpenFullMax',
    'defaultOpenMaxWidth',
  ] as const) {
    const v = data[k] as unknown;
    if (v === undefined) continue;
    (out as Record<string, unknown>)[k] = v === null && k !== 'name' ? CLEARED[k] : v;
  }
  return out;
}
