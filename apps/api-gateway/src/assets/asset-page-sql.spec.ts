import { assetPageSql } from './assets.repository';

describe('assetPageSql', () => {
  it('turns the asset list filters into parameters, never into SQL text', () => {
    const sql = assetPageSql(7, { spaceId: 1, string1: "x' OR 1=1 --", tags: { hasSome: ['a', 'b'] } }, [
      { number1: 'desc' },
      { id: 'asc' },
    ])!;
    expect(sql.select).toBe(
      'SELECT * FROM "assets" WHERE "customerId" = $1::int AND "spaceId" = $2::int AND "string1" = $3::text AND "tags" && $4::text[] ORDER BY "number1" DESC, "id" ASC',
    );
    expect(sql.count).toBe(
      'SELECT count(*)::int AS n FROM "assets" WHERE "customerId" = $1::int AND "spaceId" = $2::int AND "string1" = $3::text AND "tags" && $4::text[]',
    );
    expect(sql.values).toEqual([7, 1, "x' OR 1=1 --", ['a', 'b']]);
  });

  it('names each statement shape differently and the same shape alike', () => {
    const a = assetPageSql(1, { spaceId: 1 }, [{ created: 'asc' }])!;
    const b = assetPageSql(2, { spaceId: 9 }, [{ created: 'asc' }])!;
    const c = assetPageSql(1, { spaceId: 1 }, [{ created: 'desc' }])!;
    expect(a.shape).toBe(b.shape);
    expect(a.shape).not.toBe(c.shape);
  });

  it('leaves any other where or order shape to Prisma', () => {
    expect(assetPageSql(1, { OR: [{ spaceId: 1 }] }, [])).toBeNull();
    expect(assetPageSql(1, { spaceId: { in: [1, 2] } }, [])).toBeNull();
    expect(assetPageSql(1, { origin: 'x' }, [])).toBeNull();
    expect(assetPageSql(1, {}, [{ origin: 'asc' }])).toBeNull();
  });
});
