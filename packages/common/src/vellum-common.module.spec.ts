import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Injectable,
  type INestApplication,
  Logger as NestLogger,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { Logger } from 'nestjs-pino';
import { correlation } from './correlation';
import { MetricsService } from './metrics.service';
import type { ReadinessIndicator } from './options';
import { createValidationPipe, ProblemException, ProblemExceptionFilter, problem } from './problem';
import { VellumCommonModule } from './vellum-common.module';

@Injectable()
class ToggleReadiness implements ReadinessIndicator {
  readonly name = 'database';
  failure: string | undefined = 'connection refused';
  async check(): Promise<void> {
    if (this.failure) throw new Error(this.failure);
  }
}

class CreateThing {
  @IsString()
  name!: string;

  @IsInt()
  @Min(1)
  width!: number;
}

@Controller('things')
class ThingController {
  private readonly log = new NestLogger('ThingController');

  @Get(':id')
  async get(@Param('id') id: string): Promise<object> {
    await new Promise((r) => setTimeout(r, 2));
    this.log.log(`fetched ${id}`);
    if (id === 'missing') throw new NotFoundException(`No thing ${id}`);
    if (id === 'gone')
      throw new ProblemException(problem(410, 'Gone', 'deleted', { type: 'thing-deleted' }), {
        'X-Extra': '1',
      });
    if (id === 'boom') throw new Error('secret internal detail');
    if (id === 'db')
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    return { id, correlationId: correlation.get() };
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: CreateThing): object {
    return { ...body };
  }
}

type Line = Record<string, unknown>;

describe('VellumCommonModule (HTTP)', () => {
  let app: INestApplication;
  let base: string;
  let readiness: ToggleReadiness;
  const lines: Line[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        VellumCommonModule.forRoot({
          serviceName: 'common-test',
          readiness: [ToggleReadiness],
          readinessTimeoutMs: 500,
          logLevel: 'debug',
          logDestination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) },
        }),
      ],
      controllers: [ThingController],
      providers: [ToggleReadiness],
    }).compile();
    app = moduleRef.createNestApplication({ bufferLogs: true });
    app.useLogger(app.get(Logger));
    app.useGlobalFilters(new ProblemExceptionFilter());
    app.useGlobalPipes(createValidationPipe());
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    readiness = app.get(ToggleReadiness);
  });

  afterAll(async () => {
    await app.close();
  });

  it('GET /health/live → 200', async () => {
    const res = await fetch(`${base}/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /health/ready → 503 naming the failing indicator, 200 once it resolves', async () => {
    readiness.failure = 'connection refused';
    let res = await fetch(`${base}/health/ready`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as {
      status: string;
      error: Record<string, { status: string; message: string }>;
    };
    expect(body.status).toBe('error');
    expect(body.error.database).toEqual({ status: 'down', message: 'connection refused' });

    readiness.failure = undefined;
    res = await fetch(`${base}/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('times out a hanging indicator', async () => {
    const original = readiness.check.bind(readiness);
    readiness.check = () => new Promise<void>(() => undefined);
    try {
      const res = await fetch(`${base}/health/ready`);
      expect(res.status).toBe(503);
      expect(JSON.stringify(await res.json())).toContain('no answer within 500 ms');
    } finally {
      readiness.check = original;
    }
  });

  it('echoes X-Correlation-Id, uses it in the handler and every log line of the request', async () => {
    lines.length = 0;
    const res = await fetch(`${base}/things/42`, {
      headers: { 'X-Correlation-Id': 'corr-abc-1', Authorization: 'Basic c2VjcmV0' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('corr-abc-1');
    expect(await res.json()).toEqual({ id: '42', correlationId: 'corr-abc-1' });
    await new Promise((r) => setTimeout(r, 20));
    const appLine = lines.find((l) => l.msg === 'fetched 42');
    expect(appLine).toMatchObject({ level: 'info', service: 'common-test', correlationId: 'corr-abc-1' });
    expect(typeof appLine?.time).toBe('string');
    const reqLine = lines.find((l) => l.msg === 'request completed');
    expect(reqLine).toMatchObject({ level: 'info', service: 'common-test', correlationId: 'corr-abc-1' });
    expect((reqLine?.req as { id?: string }).id).toBe('corr-abc-1');
    for (const l of lines) expect(JSON.stringify(l)).not.toContain('c2VjcmV0');
  });

  it('accepts X-Request-Id and mints an id when none is given', async () => {
    let res = await fetch(`${base}/things/1`, { headers: { 'X-Request-Id': 'req-77' } });
    expect(res.headers.get('x-correlation-id')).toBe('req-77');
    res = await fetch(`${base}/things/1`);
    const minted = res.headers.get('x-correlation-id');
    expect(minted).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as { correlationId: string }).correlationId).toBe(minted);
  });

  it('does not log successful probes and scrapes', async () => {
    lines.length = 0;
    await (await fetch(`${base}/health/live`)).text();
    await (await fetch(`${base}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 20));
    expect(lines.filter((l) => l.msg === 'request completed')).toEqual([]);
  });

  it('GET /metrics exposes default metrics and vellum_http_request_duration_seconds by route template', async () => {
    await (await fetch(`${base}/things/abc`)).text();
    await (await fetch(`${base}/nowhere/at/all`)).text();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE vellum_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /vellum_http_request_duration_seconds_count\{service="common-test",method="GET",route="\/things\/:id",status_code="200"\} \d+/,
    );
    expect(text).toMatch(
      /vellum_http_request_duration_seconds_count\{service="common-test",method="GET",route="UNMATCHED",status_code="404"\} \d+/,
    );
    expect(text).toContain('process_resident_memory_bytes{service="common-test"}');
    expect(text).not.toContain('route="/metrics"');
  });

  it('MetricsService helpers are idempotent and land in /metrics', async () => {
    const metrics = app.get(MetricsService);
    const c = metrics.counter('vellum_test_things_total', 'Things', ['kind']);
    expect(metrics.counter('vellum_test_things_total', 'Things', ['kind'])).toBe(c);
    c.inc({ kind: 'a' }, 3);
    const h = metrics.histogram('vellum_test_seconds', 'Seconds', [], [0.1, 1]);
    expect(metrics.histogram('vellum_test_seconds', 'Seconds')).toBe(h);
    const g = metrics.gauge('vellum_test_gauge', 'Gauge');
    expect(metrics.gauge('vellum_test_gauge', 'Gauge')).toBe(g);
    expect(() => metrics.gauge('vellum_test_things_total', 'x')).toThrow(/another type/);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('vellum_test_things_total{kind="a",service="common-test"} 3');
  });

  describe('ProblemExceptionFilter', () => {
    async function problemOf(res: Response): Promise<Record<string, unknown>> {
      expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      return (await res.json()) as Record<string, unknown>;
    }

    it('malformed JSON → 400 problem', async () => {
      const res = await fetch(`${base}/things`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"name": ',
      });
      expect(res.status).toBe(400);
      expect(await problemOf(res)).toEqual({
        '@type': 'Error',
        type: 'https://vellum.dev/problems/malformed-json',
        title: 'Malformed JSON',
        status: 400,
        detail: 'The request body is not valid JSON.',
        instance: '/things',
      });
    });

    it('payload too large → 413 problem', async () => {
      const res = await fetch(`${base}/things`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(200_000), width: 1 }),
      });
      expect(res.status).toBe(413);
      expect(await problemOf(res)).toMatchObject({
        type: 'https://vellum.dev/problems/payload-too-large',
        status: 413,
      });
    });

    it('validation errors list every failed field', async () => {
      const res = await fetch(`${base}/things?x=1`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ width: 0, '@type': 'vocab:Thing' }),
      });
      expect(res.status).toBe(400);
      const body = await problemOf(res);
      expect(body).toMatchObject({
        type: 'https://vellum.dev/problems/validation-failed',
        status: 400,
        instance: '/things',
      });
      expect(body.errors).toEqual([
        { field: 'name', message: 'name must be a string' },
        { field: 'width', message: 'width must not be less than 1' },
      ]);
    });

    it('valid bodies pass, unknown properties stripped', async () => {
      const res = await fetch(`${base}/things`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'n', width: 2, '@type': 'vocab:Thing' }),
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ name: 'n', width: 2 });
    });

    it('HttpException, ProblemException and unknown routes', async () => {
      let res = await fetch(`${base}/things/missing`);
      expect(res.status).toBe(404);
      expect(await problemOf(res)).toEqual({
        '@type': 'Error',
        type: 'https://vellum.dev/problems/not-found',
        title: 'Not Found',
        status: 404,
        detail: 'No thing missing',
        instance: '/things/missing',
      });
      res = await fetch(`${base}/things/gone`);
      expect(res.status).toBe(410);
      expect(res.headers.get('x-extra')).toBe('1');
      expect(await problemOf(res)).toMatchObject({
        type: 'https://vellum.dev/problems/thing-deleted',
        title: 'Gone',
        detail: 'deleted',
      });
      res = await fetch(`${base}/no/such/route`);
      expect(res.status).toBe(404);
      expect(await problemOf(res)).toMatchObject({ status: 404, instance: '/no/such/route' });
    });

    it('unknown errors → 500 without internals, logged with the correlation id', async () => {
      lines.length = 0;
      const res = await fetch(`${base}/things/boom`, { headers: { 'X-Correlation-Id': 'boom-1' } });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain('secret internal detail');
      expect(text).not.toContain('at ');
      expect(JSON.parse(text)).toMatchObject({
        type: 'https://vellum.dev/problems/internal-error',
        status: 500,
        title: 'Internal Server Error',
      });
      await new Promise((r) => setTimeout(r, 20));
      const logged = lines.find(
        (l) => l.level === 'error' && typeof l.msg === 'string' && l.msg.includes('secret internal detail'),
      );
      expect(logged).toMatchObject({ correlationId: 'boom-1', context: 'ProblemExceptionFilter' });
      expect((logged?.err as { stack?: string }).stack).toContain('Error: secret internal detail');
    });

    it('unreachable dependency → 503 with Retry-After', async () => {
      const res = await fetch(`${base}/things/db`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await problemOf(res)).toMatchObject({ type: 'https://vellum.dev/problems/service-unavailable' });
    });
  });
});

class AlwaysReady implements ReadinessIndicator {
  readonly name = 'always';
  async check(): Promise<void> {}
}

describe('several apps in one process', () => {
  it('each app has its own registry, labels and metrics', async () => {
    const make = async (serviceName: string) => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          VellumCommonModule.forRoot({
            serviceName,
            logLevel: 'silent',
            defaultMetrics: serviceName !== 'b',
            readiness: [AlwaysReady],
          }),
        ],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.listen(0, '127.0.0.1');
      return app;
    };
    const a = await make('a');
    const b = await make('b');
    try {
      a.get(MetricsService).counter('jobs_total', 'Jobs').inc();
      b.get(MetricsService).counter('jobs_total', 'Jobs').inc(5);
      const scrape = async (app: INestApplication) =>
        (
          await fetch(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/metrics`)
        ).text();
      const [ta, tb] = await Promise.all([scrape(a), scrape(b)]);
      expect(ta).toContain('jobs_total{service="a"} 1');
      expect(tb).toContain('jobs_total{service="b"} 5');
      expect(ta).toContain('process_cpu_seconds_total');
      expect(tb).not.toContain('process_cpu_seconds_total');
      // AlwaysReady is provided by no module: VellumCommonModule instantiates it.
      const ready = await fetch(
        `http://127.0.0.1:${(a.getHttpServer().address() as AddressInfo).port}/health/ready`,
      );
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { always: { status: 'up' } } });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
