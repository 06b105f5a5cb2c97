import net from 'node:net';
import { fixture, fixturePath, FIXTURES } from './fixtures';
import { freePort, uniqueName, waitFor } from './wait';
import { existsSync, statSync } from 'node:fs';

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : 0), { intervalMs: 5 })).resolves.toBe(3);
  });

  it('treats throws as not-yet and times out naming the description and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('boom');
        },
        { timeoutMs: 50, intervalMs: 10, description: 'the thing' },
      ),
    ).rejects.toThrow(/timed out after 50 ms waiting for the thing \(last error: boom\)/);
  });
});

describe('uniqueName', () => {
  it('is unique and keeps the prefix style', () => {
    expect(uniqueName('q')).toMatch(/^q-[0-9a-z]+-[0-9a-f]{8}$/);
    expect(uniqueName('vellum_x_')).toMatch(/^vellum_x_[0-9a-z]+_[0-9a-f]{8}$/);
    expect(uniqueName('q')).not.toBe(uniqueName('q'));
  });
});

describe('fixtures', () => {
  it.each(FIXTURES.map((f) => [f.name, f] as const))('%s exists with its recorded size', (name, f) => {
    const file = fixturePath(name);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).size).toBe(f.bytes);
  });

  it('throws for unknown files', () => {
    expect(() => fixturePath('nope.jpg')).toThrow(/not found/);
    expect(() => fixture('nope.jpg')).toThrow(/unknown fixture/);
    expect(fixture('exif-orientation-6.jpg')).toMatchObject({ width: 1800, height: 1200 });
  });
});
