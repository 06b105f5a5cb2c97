/**
 * Origin strategies end to end (SPEC.md §1 "Origin strategy", §3.3 "Origin strategies", §4.1 step 2, §4.2, §8): the
 * six running services with real PostgreSQL, RabbitMQ and an S3-protocol server, rules created through the API.
 * - `basic-http-authentication`: an origin that needs Basic auth fails (401) without the rule and ingests with it;
 *   the password appears in no response and no service log.
 * - `s3-ambient` + `optimised`: an `s3://` origin in a customer's bucket is ingested with no copy stored; the real
 *   image-processor reads it in place, delivery serves its image service, thumbnails and (`file` channel) the
 *   original from the customer's bucket, its bytes are not counted as stored (next to the same file staged without
 *   the rule), and deleting the asset leaves the origin object.
 * - `sftp`: a real OpenSSH sshd, the rule's private key; `ftp`: a real vsftpd, anonymously. Each origin's JPEG 2000
 *   and PNG masters are ingested by the real image-processor and served by iiif-delivery.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'minio';
import {
  type FtpTestServer,
  fixturePath,
  type SftpTestServer,
  startFtpServer,
  startSftpServer,
  waitFor,
} from '@vellum/testing';
import { fixtureOrigin, startRig, type Json, type Rig } from '../src/rig';

describe('origin strategies, end to end', () => {
  const PASSWORD = 'e2e-Pa55word-never-shown';
  const MASTERS = 'customer-masters';
  const png = fs.readFileSync(fixturePath('png-alpha.png'));
  let rig: Rig;
  let s3: Client;
  let files: string;
  let sftp: SftpTestServer;
  let ftp: FtpTestServer;
  let customer: number;
  const space = 1;
  let failed = false;
  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });
  const api = (method: string, p: string, body?: unknown) => rig.api(method, p, body);
  const images = () => `/customers/${customer}/spaces/${space}/images`;

  beforeAll(async () => {
    const good = `Basic ${Buffer.from(`reader:${PASSWORD}`).toString('base64')}`;
    rig = await startRig('origins', {
      // `/private/{fixture}` needs Basic reader:PASSWORD; anything else is a fixture, anonymously.
      origin: (req, res) => {
        if (!(req.url ?? '').startsWith('/private/')) return fixtureOrigin(req, res);
        if (req.headers.authorization !== good) return void res.writeHead(401).end();
        req.url = req.url!.slice('/private'.length);
        fixtureOrigin(req, res);
      },
    });
    s3 = new Client({
      endPoint: '127.0.0.1',
      port: rig.s3.port,
      useSSL: false,
      accessKey: rig.s3.accessKey,
      secretKey: rig.s3.secretKey,
      region: 'us-east-1',
      pathStyle: true,
    });
    await s3.makeBucket(MASTERS, 'us-east-1');
    for (const key of ['opt/png-alpha.png', 'plain/png-alpha.png'])
      await s3.putObject(MASTERS, key, png, png.length, { 'Content-Type': 'image/png' });
    const c = await api('POST', '/customers', { name: 'origins', displayName: 'Origins' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    expect((await api('POST', `/customers/${customer}/spaces`, { name: 'origins' })).status).toBe(201);
    files = fs.mkdtempSync(path.join(tmpdir(), 'vellum-e2e-origin-files-'));
    for (const f of ['png-alpha.png', 'scan.jp2']) fs.copyFileSync(fixturePath(f), path.join(files, f));
    sftp = await startSftpServer(files);
    ftp = await startFtpServer(files);
  }, 180_000);

  afterAll(async () => {
    await sftp?.stop();
    await ftp?.stop();
    if (files) fs.rmSync(files, { recursive: true, force: true });
    await rig?.stop({ printLogs: failed });
  }, 60_000);

  /** The asset's image service answers with its size, and a tile of it is a JPEG. */
  async function served(id: string, width: number): Promise<void> {
    const base = `${rig.platform.deliveryUrl}/iiif-img/${customer}/${space}/${id}`;
    const info = await fetch(`${base}/info.json`);
    expect(info.status).toBe(200);
    expect(((await info.json()) as Json).width).toBe(width);
    const tile = await fetch(`${base}/0,0,512,512/256,/0/default.jpg`);
    expect(tile.status).toBe(200);
    expect(tile.headers.get('content-type')).toMatch(/^image\/jpeg/);
  }

  it('sftp: with the rule holding the private key, JP2 and PNG masters are ingested and served', async () => {
    const without = await api('PUT', `${images()}/sftp-nokey`, {
      origin: sftp.url('/png-alpha.png'),
      mediaType: 'image/png',
    });
    expect(without.body.ingesting).toBe(false);
    expect(without.body.error).toMatch(/permanent/);
    const rule = await api('POST', `/customers/${customer}/originStrategies`, {
      strategy: 'sftp',
      regex: `^sftp://127\\.0\\.0\\.1:${sftp.port}/`,
      credentials: JSON.stringify({ user: sftp.user, privateKey: sftp.privateKey }),
    });
    expect(rule.status).toBe(201);
    expect(JSON.stringify(rule.body)).not.toContain('PRIVATE KEY');
    for (const [id, file, mediaType, width] of [
      ['sftp-png', 'png-alpha.png', 'image/png', 592],
      ['sftp-jp2', 'scan.jp2', 'image/jp2', undefined],
    ] as const) {
      const r = await api('PUT', `${images()}/${id}`, { origin: sftp.url(`/${file}`), mediaType });
      expect(r.status).toBe(201);
      expect(r.body.error ?? '').toBe('');
      expect(r.body).toMatchObject({ ingesting: false });
      await served(id, width ?? r.body.width);
    }
  });

  it('ftp: an anonymous origin is ingested and served', async () => {
    const r = await api('PUT', `${images()}/ftp-png`, {
      origin: ftp.url('png-alpha.png'),
      mediaType: 'image/png',
    });
    expect(r.status).toBe(201);
    expect(r.body.error ?? '').toBe('');
    expect(r.body).toMatchObject({ ingesting: false, width: 592, height: 1167 });
    await served('ftp-png', 592);
    const missing = await api('PUT', `${images()}/ftp-missing`, {
      origin: ftp.url('nothing-here.png'),
      mediaType: 'image/png',
    });
    expect(missing.body.error).toMatch(/^Origin not found .*\(permanent, 1 attempt\)$/);
  });

  it('basic-http-authentication: 401 without the rule, ingested with it, the password nowhere', async () => {
    const origin = `${rig.originUrl}/private/png-alpha.png`;
    const before = await api('PUT', `${images()}/auth-before`, { origin, mediaType: 'image/png' });
    expect([200, 201]).toContain(before.status);
    expect(before.body).toMatchObject({ ingesting: false });
    expect(before.body.error).toBe(
      `Origin ${origin} answered HTTP 401 (access denied) (permanent, 1 attempt)`,
    );

    const rule = await api('POST', `/customers/${customer}/originStrategies`, {
      strategy: 'basic-http-authentication',
      regex: '/private/',
      credentials: JSON.stringify({ user: 'reader', password: PASSWORD }),
    });
    expect(rule.status).toBe(201);
    expect(rule.body.credentials).toBe('xxx');
    const after = await api('PUT', `${images()}/auth-after`, { origin, mediaType: 'image/png' });
    expect(after.status).toBe(201);
    expect(after.body).toMatchObject({ ingesting: false, width: 592, height: 1167 });
    expect(after.body.error ?? '').toBe('');

    const everything = JSON.stringify([before.body, after.body, rule.body]);
    expect(everything).not.toContain(PASSWORD);
    const logs = fs
      .readdirSync(rig.platform.logDir)
      .map((file) => fs.readFileSync(path.join(rig.platform.logDir, file), 'utf8'));
    expect(logs.join('\n')).toContain('auth-after'); // the logs do tell of this ingest...
    for (const log of logs) expect(log).not.toContain(PASSWORD); // ...but never with the password
  });

  it('an optimised s3-ambient origin: no copy stored, derivatives made and delivered, not counted, kept on delete', async () => {
    const rule = await api('POST', `/customers/${customer}/originStrategies`, {
      strategy: 's3-ambient',
      regex: `^s3://${MASTERS}/opt/`,
      optimised: true,
    });
    expect(rule.status).toBe(201);
    const channels = ['iiif-img', 'thumbs', 'file'];
    const opt = await api('PUT', `${images()}/opt`, {
      origin: `s3://${MASTERS}/opt/png-alpha.png`,
      mediaType: 'image/png',
      deliveryChannels: channels,
    });
    expect(opt.status).toBe(201);
    expect(opt.body).toMatchObject({ ingesting: false, width: 592, height: 1167 });
    expect(opt.body.error ?? '').toBe('');
    // The same file without the rule (another key): staged, and kept for `file`.
    const copy = await api('PUT', `${images()}/copy`, {
      origin: `s3://${MASTERS}/plain/png-alpha.png`,
      mediaType: 'image/png',
      deliveryChannels: channels,
    });
    expect(copy.status).toBe(201);
    expect(copy.body).toMatchObject({ ingesting: false, width: 592, height: 1167 });

    // No copy of the optimised origin in the platform's origins bucket; the other one has its copy.
    const stat = (bucket: string, key: string) =>
      s3.statObject(bucket, key).then(
        () => true,
        () => false,
      );
    expect(await stat('vellum-origins', `${customer}/${space}/opt/origin`)).toBe(false);
    expect(await stat('vellum-origins', `${customer}/${space}/copy/origin`)).toBe(true);

    // Derivatives exist and are served.
    const info = await fetch(`${rig.platform.deliveryUrl}/iiif-img/${customer}/${space}/opt/info.json`);
    expect(info.status).toBe(200);
    expect(((await info.json()) as Json).width).toBe(592);
    const tile = await fetch(
      `${rig.platform.deliveryUrl}/iiif-img/${customer}/${space}/opt/0,0,512,512/256,/0/default.jpg`,
    );
    expect(tile.status).toBe(200);
    expect(tile.headers.get('content-type')).toMatch(/^image\/jpeg/);
    const thumbs = (await (
      await fetch(`${rig.platform.deliveryUrl}/thumbs/${customer}/${space}/opt/info.json`)
    ).json()) as Json;
    expect(thumbs.sizes.length).toBeGreaterThan(0);
    const t = thumbs.sizes[0] as { width: number; height: number };
    const thumb = await fetch(
      `${rig.platform.deliveryUrl}/thumbs/${customer}/${space}/opt/full/${t.width},${t.height}/0/default.jpg`,
    );
    expect(thumb.status).toBe(200);

    // The file channel serves the original from where it lives: the customer's bucket, or the kept copy.
    for (const id of ['opt', 'copy']) {
      const file = await fetch(`${rig.platform.deliveryUrl}/file/${customer}/${space}/${id}`);
      expect({ id, status: file.status }).toEqual({ id, status: 200 });
      expect(file.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await file.arrayBuffer()).equals(png)).toBe(true);
      const part = await fetch(`${rig.platform.deliveryUrl}/file/${customer}/${space}/${id}`, {
        headers: { Range: 'bytes=-100' },
      });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(png.subarray(png.length - 100))).toBe(true);
    }

    // Storage: the optimised asset's size leaves out exactly the origin's bytes.
    const optStorage = (await api('GET', `${images()}/opt/storage`)).body;
    const copyStorage = (await api('GET', `${images()}/copy/storage`)).body;
    expect(copyStorage.size - optStorage.size).toBe(png.length);
    expect(optStorage.thumbnailSize).toBe(copyStorage.thumbnailSize);

    // Delete: the platform's objects go, the customer's origin object stays.
    const thumbKeys = async () => {
      const keys: string[] = [];
      for await (const o of s3.listObjectsV2(
        'vellum-thumbs',
        `${customer}/${space}/opt/`,
        true,
      ) as AsyncIterable<{
        name?: string;
      }>)
        if (o.name) keys.push(o.name);
      return keys;
    };
    expect((await thumbKeys()).length).toBeGreaterThan(0);
    expect((await api('DELETE', `${images()}/opt`)).status).toBe(204);
    await waitFor(async () => (await thumbKeys()).length === 0, {
      description: 'the deleted asset’s thumbnails removed',
      timeoutMs: 30_000,
    });
    expect(await stat(MASTERS, 'opt/png-alpha.png')).toBe(true);
  });
});
