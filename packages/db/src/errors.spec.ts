import { DatabaseConnectionError } from './client';
import { isDatabaseUnavailable, isTransientDbError, isUniqueViolation } from './errors';

describe('isUniqueViolation', () => {
  it.each([
    [{ code: 'P2002' }, true],
    [{ code: '23505' }, true],
    [
      {
        code: 'P2025',
        meta: { driverAdapterError: { cause: { kind: 'UniqueConstraintViolation', originalCode: '23505' } } },
      },
      true,
    ],
    [{ code: '23503' }, false],
    [new Error('duplicate'), false],
    [null, false],
    ['P2002', false],
  ])('%j → %s', (err, expected) => {
    expect(isUniqueViolation(err)).toBe(expected);
  });
});

describe('isTransientDbError', () => {
  it.each([
    [{ code: 'P1001' }, true],
    [{ code: 'P1017' }, true],
    [{ code: '57P01' }, true],
    [{ code: '40P01' }, true],
    [{ code: 'ECONNREFUSED' }, true],
    [new Error('Connection terminated unexpectedly'), true],
    [{ code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } } }, true],
    [{ code: 'P2002' }, false],
    [{ code: '22P02' }, false],
    [new Error('syntax error'), false],
    [undefined, false],
  ])('%j → %s', (err, expected) => {
    expect(isTransientDbError(err)).toBe(expected);
  });
});

describe('isDatabaseUnavailable', () => {
  const prisma = (fields: Record<string, unknown>) =>
    Object.assign(new Error('prisma'), {
      name: 'PrismaClientKnownRequestError',
      clientVersion: '6.19.0',
      ...fields,
    });
  it.each([
    [prisma({ code: 'P1001' }), true],
    [
      prisma({ code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } }),
      true,
    ],
    [
      Object.assign(new Error('x'), { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } }),
      true,
    ],
    [Object.assign(new Error('wrapped'), { cause: prisma({ code: '57P01' }) }), true],
    // queryPrepared's wrapping of a pg pool connection failure.
    [
      new DatabaseConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      true,
    ],
    [new DatabaseConnectionError(new Error('Connection terminated unexpectedly')), true],
    // Conflicts are transient but the database is up.
    [prisma({ code: 'P2034' }), false],
    [prisma({ code: '40001' }), false],
    [prisma({ code: 'P2002' }), false],
    // Not from the database client, though they mention a transient network code.
    [new Error('connection reset by the origin server (ECONNRESET)'), false],
    [{ code: 'ECONNREFUSED' }, false],
    [undefined, false],
  ])('%#: %j → %s', (err, expected) => {
    expect(isDatabaseUnavailable(err)).toBe(expected);
  });
});
