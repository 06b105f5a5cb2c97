import { isTransientDbError, isUniqueViolation } from './errors';

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
