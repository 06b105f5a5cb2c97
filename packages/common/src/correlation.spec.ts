import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { correlation, correlationIdFromHeaders } from './correlation';

describe('correlation', () => {
  it('is undefined outside a context and getOrCreate mints UUIDs', () => {
    expect(correlation.get()).toBeUndefined();
    const a = correlation.getOrCreate();
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(correlation.getOrCreate()).not.toBe(a);
  });

  it('propagates across awaits, timers and emitters, and isolates concurrent contexts', async () => {
    const seen: string[] = [];
    const emitter = new EventEmitter();
    const work = (id: string, delay: number) =>
      correlation.run(id, async () => {
        await sleep(delay);
        seen.push(`${id}:${correlation.get()}`);
        await Promise.resolve();
        await new Promise<void>((resolve) => setImmediate(resolve));
        expect(correlation.getOrCreate()).toBe(id);
        return correlation.get();
      });
    const results = await Promise.all([work('a', 20), work('b', 5), work('c', 10)]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(seen.sort()).toEqual(['a:a', 'b:b', 'c:c']);

    const heard = new Promise<string | undefined>((resolve) => {
      correlation.run('listener', () => emitter.once('x', () => resolve(correlation.get())));
    });
    correlation.run('emitter', () => emitter.emit('x'));
    // Listeners run in the emitter's context (plain EventEmitter does not capture contexts).
    await expect(heard).resolves.toBe('emitter');
    expect(correlation.get()).toBeUndefined();
  });

  it('nests: inner run wins, outer restored', async () => {
    await correlation.run('outer', async () => {
      await correlation.run('inner', async () => {
        await sleep(1);
        expect(correlation.get()).toBe('inner');
      });
      expect(correlation.get()).toBe('outer');
    });
  });

  it('reads safe ids from X-Correlation-Id, then X-Request-Id', () => {
    expect(correlationIdFromHeaders({ 'x-correlation-id': 'abc-123', 'x-request-id': 'zzz' })).toBe(
      'abc-123',
    );
    expect(correlationIdFromHeaders({ 'x-request-id': 'req-9' })).toBe('req-9');
    expect(correlationIdFromHeaders({ 'x-correlation-id': 'bad id\n', 'x-request-id': 'ok' })).toBe('ok');
    expect(correlationIdFromHeaders({ 'x-correlation-id': 'x'.repeat(200) })).toBeUndefined();
    expect(correlationIdFromHeaders({})).toBeUndefined();
  });
});
