import { ProblemException } from '@vellum/common';
import { mapTransient } from './transient-db.interceptor';

describe('mapTransient (SPEC.md §10: Postgres unavailable → 503)', () => {
  it('turns connection failures into a 503 problem with Retry-After', () => {
    const mapped = mapTransient(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    );
    expect(mapped).toBeInstanceOf(ProblemException);
    expect((mapped as ProblemException).getStatus()).toBe(503);
    expect((mapped as ProblemException).headers['Retry-After']).toBe('1');
    expect((mapped as ProblemException).getStatus()).toBe(503);
    expect(
      (
        mapTransient({ code: 'P1001', message: "Can't reach database server" }) as ProblemException
      ).getStatus(),
    ).toBe(503);
  });
  it('leaves other errors alone', () => {
    const err = new Error('boom');
    expect(mapTransient(err)).toBe(err);
    const unique = { code: 'P2002' };
    expect(mapTransient(unique)).toBe(unique);
    const http = ProblemException.of(404, 'Not Found');
    expect(mapTransient(http)).toBe(http);
  });
});
