import 'reflect-metadata';
import type { ArgumentsHost } from '@nestjs/common';
import { BadRequestException, ForbiddenException, HttpException } from '@nestjs/common';
import { lastValueFrom, type Observable } from 'rxjs';
import {
  problem,
  ProblemException,
  ProblemExceptionFilter,
  problemType,
  toFieldErrors,
  toProblem,
} from './problem';

describe('problem()', () => {
  it('builds the DLCS-compatible RFC 7807 shape, omitting absent members', () => {
    expect(problem(404, 'Not Found')).toEqual({
      '@type': 'Error',
      type: 'https://vellum.dev/problems/not-found',
      title: 'Not Found',
      status: 404,
    });
    expect(
      problem(507, 'Insufficient Storage', 'Quota of 10 GiB exceeded', {
        type: 'quota-exceeded',
        instance: '/customers/1/spaces/2/images/x',
        maximum: 10,
      }),
    ).toEqual({
      '@type': 'Error',
      type: 'https://vellum.dev/problems/quota-exceeded',
      title: 'Insufficient Storage',
      status: 507,
      detail: 'Quota of 10 GiB exceeded',
      instance: '/customers/1/spaces/2/images/x',
      maximum: 10,
    });
  });

  it('keeps absolute type URIs and maps unknown statuses', () => {
    expect(problemType('urn:vellum:x')).toBe('urn:vellum:x');
    expect(problem(418, 'Teapot').type).toBe('https://vellum.dev/problems/client-error');
    expect(problem(599, 'Odd').type).toBe('https://vellum.dev/problems/server-error');
  });
});

describe('toProblem()', () => {
  it('maps HttpExceptions, keeping their message as detail', () => {
    expect(toProblem(new ForbiddenException('Key of customer 2 cannot read customer 1')).problem).toEqual({
      '@type': 'Error',
      type: 'https://vellum.dev/problems/forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'Key of customer 2 cannot read customer 1',
    });
    expect(toProblem(new HttpException('Nope', 409)).problem).toMatchObject({
      status: 409,
      title: 'Conflict',
      detail: 'Nope',
    });
    expect(toProblem(new ForbiddenException()).problem.detail).toBeUndefined();
  });

  it("turns Nest's default validation message arrays into errors", () => {
    const p = toProblem(
      new BadRequestException(['width must be an integer number', 'name should not be empty']),
    ).problem;
    expect(p.errors).toEqual([
      { field: 'width', message: 'width must be an integer number' },
      { field: 'name', message: 'name should not be empty' },
    ]);
    expect(p.type).toBe('https://vellum.dev/problems/validation-failed');
  });

  it('maps body-parser errors', () => {
    expect(
      toProblem(Object.assign(new SyntaxError('x'), { type: 'entity.parse.failed', status: 400 })).problem,
    ).toMatchObject({ status: 400, title: 'Malformed JSON' });
    expect(
      toProblem(Object.assign(new Error('too big'), { type: 'entity.too.large', status: 413 })).problem
        .status,
    ).toBe(413);
    expect(
      toProblem(Object.assign(new Error('bad charset'), { type: 'charset.unsupported', status: 415 })).problem
        .status,
    ).toBe(415);
  });

  it('hides unknown errors and flags them for logging', () => {
    const r = toProblem(new TypeError('cannot read x of undefined'));
    expect(r.log).toBe(true);
    expect(r.problem).toEqual({
      '@type': 'Error',
      type: 'https://vellum.dev/problems/internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
    });
    expect(toProblem('a string').problem.status).toBe(500);
  });

  it('maps unreachable dependencies to 503 (Prisma codes and socket errors, also as causes)', () => {
    expect(toProblem(Object.assign(new Error('x'), { code: 'P1001' })).problem.status).toBe(503);
    expect(
      toProblem(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }))
        .headers,
    ).toEqual({ 'Retry-After': '1' });
  });
});

describe('toFieldErrors()', () => {
  it('flattens nested and array children into paths', () => {
    const errors = toFieldErrors([
      { property: 'name', constraints: { isString: 'name must be a string' }, children: [] },
      {
        property: 'members',
        children: [
          {
            property: '2',
            children: [{ property: 'origin', constraints: { isUrl: 'origin must be a URL' }, children: [] }],
          },
        ],
      },
    ]);
    expect(errors).toEqual([
      { field: 'name', message: 'name must be a string' },
      { field: 'members[2].origin', message: 'origin must be a URL' },
    ]);
  });
});

describe('ProblemExceptionFilter outside HTTP', () => {
  it('re-throws in rpc contexts so the message transport sees the failure', async () => {
    const host = { getType: () => 'rpc' } as unknown as ArgumentsHost;
    const err = new Error('handler failed');
    const out = new ProblemExceptionFilter().catch(err, host) as Observable<never>;
    await expect(lastValueFrom(out)).rejects.toBe(err);
  });

  it('ProblemException.of carries the problem and headers', () => {
    const ex = new ProblemException(problem(401, 'Unauthorized'), {
      'WWW-Authenticate': 'Basic realm="Vellum"',
    });
    expect(toProblem(ex).headers).toEqual({ 'WWW-Authenticate': 'Basic realm="Vellum"' });
    expect(ProblemException.of(409, 'Conflict', 'exists').getStatus()).toBe(409);
  });
});
