import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createObjectStore, type ObjectStore, readAll, storageConfigFromEnv } from '@vellum/storage';
import { fixturePath, startS3Server, type S3TestServer } from '@vellum/testing';
import { AvTranscodeService, type JobProgress, MediaError, posterKey } from './index';

/** Duration of a file as ffprobe reports it on the command line, ms (the reference the tests compare with). */
const ffprobeMs = (file: string): number =>
  Math.round(
    Number(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], {
        encoding: 'utf8',
      }).trim(),
    ) * 1000,
  );

/** Top-level MP4 box types in file order. */
function topBoxes(buf: Buffer): string[] {
  const out: string[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(off + 8));
    if (size === 0) size = buf.length - off;
    out.push(type);
    if (size < 8) break;
    off += size;
  }
  return out;
}

describe('AvTranscodeService with the real ffmpeg and an S3 store (SPEC.md §4.4)', () => {
  let s3: S3TestServer;
  let store: ObjectStore;
  let tmpRoot: string;
  let service: AvTranscodeService;
  const ORIGINS = 'avt-origins';
  const DERIV = 'avt-derivatives';

  const upload = async (name: string, key = `1/1/${name}/origin`) => {
    await store.putFile(ORIGINS, key, fixturePath(name));
    return { bucket: ORIGINS, key };
  };
  const get = async (key: string) => readAll(await store.get(DERIV, key));
  /** Writes a downloaded output to a temp file, for ffprobe. */
  const local = async (key: string) => {
    const f = path.join(tmpRoot, 'check-' + path.basename(key));
    writeFileSync(f, await get(key));
    return f;
  };
  const workDirs = () => readdirSync(tmpRoot).filter((d) => d.startsWith('vellum-av-'));

  beforeAll(async () => {
    s3 = await startS3Server();
    store = createObjectStore(storageConfigFromEnv(s3.env));
    await store.ensureBucket(ORIGINS);
    await store.ensureBucket(DERIV);
    tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'avt-test-'));
    service = new AvTranscodeService(store, {
      ffmpeg: 'ffmpeg',
      ffprobe: 'ffprobe',
      stallTimeoutMs: 30_000,
      tmpRoot,
    });
  });
  afterAll(async () => {
    await s3?.stop();
    rmSync(tmpRoot, { recursive: true, force: true });
  });

  it('video.mp4 → 720p, 480p, 1080p MP4 and 720p WebM: durations, never upscaled, faststart, poster', async () => {
    const progress: JobProgress[] = [];
    const result = await service.transcode(
      {
        mediaType: 'video/mp4',
        source: await upload('video.mp4'),
        presets: ['video-mp4-720p', 'video-mp4-480p', 'video-mp4-1080p', 'video-webm-720p'],
        bucket: DERIV,
        keyPrefix: '1/1/clip',
      },
      (p) => progress.push(p),
    );
    const sourceMs = ffprobeMs(fixturePath('video.mp4'));
    expect(Math.abs(result.duration - sourceMs)).toBeLessThanOrEqual(100);
    expect(result).toMatchObject({ width: 960, height: 540 });
    expect(result.probe.formatName).toBe('mov,mp4,m4a,3gp,3g2,mj2');
    expect(result.probe.streams.map((s) => `${s.type}:${s.codec}`)).toEqual(['video:h264', 'audio:aac']);
    expect(
      result.outputs.map((o) => [o.preset, o.location.key, o.mediaType, o.width, o.height, o.codec]),
    ).toEqual([
      ['video-mp4-720p', '1/1/clip/av/video-mp4-720p.mp4', 'video/mp4', 960, 540, 'h264+aac'],
      ['video-mp4-480p', '1/1/clip/av/video-mp4-480p.mp4', 'video/mp4', 854, 480, 'h264+aac'],
      ['video-mp4-1080p', '1/1/clip/av/video-mp4-1080p.mp4', 'video/mp4', 960, 540, 'h264+aac'],
      ['video-webm-720p', '1/1/clip/av/video-webm-720p.webm', 'video/webm', 960, 540, 'vp9+opus'],
    ]);
    for (const o of result.outputs) {
      const f = await local(o.location.key);
      expect(Math.abs(ffprobeMs(f) - sourceMs)).toBeLessThanOrEqual(100);
      expect(Math.abs((o.duration ?? -1) - sourceMs)).toBeLessThanOrEqual(100);
      expect(o.location.size).toBe(readFileSync(f).length);
      if (o.mediaType === 'video/mp4') {
        const boxes = topBoxes(readFileSync(f));
        expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
        expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
      }
    }
    // The poster: a full-size JPEG frame.
    expect(result.poster).toEqual({
      location: { bucket: DERIV, key: posterKey('1/1/clip'), size: expect.any(Number) },
      mediaType: 'image/jpeg',
      width: 960,
      height: 540,
    });
    const jpeg = await get('1/1/clip/av/poster.jpg');
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(jpeg.length).toBe(result.poster?.location.size);
    // -progress was parsed: fractions per preset, ending at (about) 1.
    const of720 = progress.filter((p) => p.preset === 'video-mp4-720p');
    expect(of720.length).toBeGreaterThan(0);
    expect(of720[of720.length - 1].fraction).toBeGreaterThan(0.9);
    expect(of720.every((p) => p.index === 1 && p.total === 4)).toBe(true);
    expect(workDirs()).toEqual([]);
  });

  it('video.webm (VP8 + Vorbis) → 720p MP4 with the source duration', async () => {
    const result = await service.transcode({
      mediaType: 'video/webm',
      source: await upload('video.webm'),
      presets: ['video-mp4-720p'],
      bucket: DERIV,
      keyPrefix: '1/1/webm',
    });
    const sourceMs = ffprobeMs(fixturePath('video.webm'));
    expect(Math.abs(result.duration - sourceMs)).toBeLessThanOrEqual(100);
    expect(result.outputs[0]).toMatchObject({ width: 960, height: 540, codec: 'h264+aac' });
    expect(Math.abs(ffprobeMs(await local(result.outputs[0].location.key)) - sourceMs)).toBeLessThanOrEqual(
      100,
    );
    expect(result.probe.streams.map((s) => s.codec)).toEqual(['vp8', 'vorbis']);
  });

  it('audio.mp3 → MP3 128, MP3 192 and AAC m4a: durations, no dimensions, no poster, a retry overwrites', async () => {
    const job = {
      mediaType: 'audio/mpeg',
      source: await upload('audio.mp3'),
      presets: ['audio-mp3-128', 'audio-mp3-192', 'audio-aac-128'],
      bucket: DERIV,
      keyPrefix: '1/1/song',
    };
    const result = await service.transcode(job);
    const sourceMs = ffprobeMs(fixturePath('audio.mp3'));
    expect(Math.abs(result.duration - sourceMs)).toBeLessThanOrEqual(100);
    expect(result.width).toBeUndefined();
    expect(result.poster).toBeUndefined();
    expect(result.outputs.map((o) => [o.location.key, o.mediaType, o.codec, o.width])).toEqual([
      ['1/1/song/av/audio-mp3-128.mp3', 'audio/mpeg', 'mp3', undefined],
      ['1/1/song/av/audio-mp3-192.mp3', 'audio/mpeg', 'mp3', undefined],
      ['1/1/song/av/audio-aac-128.m4a', 'audio/mp4', 'aac', undefined],
    ]);
    for (const o of result.outputs) {
      expect(Math.abs(ffprobeMs(await local(o.location.key)) - sourceMs)).toBeLessThanOrEqual(100);
    }
    const m4a = topBoxes(await get('1/1/song/av/audio-aac-128.m4a'));
    expect(m4a.indexOf('moov')).toBeLessThan(m4a.indexOf('mdat'));
    const again = await service.transcode({ ...job, presets: ['audio-mp3-128'] });
    expect(again.outputs[0].location.key).toBe(result.outputs[0].location.key);
    expect((await store.stat(DERIV, '1/1/song/av/audio-mp3-128.mp3'))?.size).toBe(
      again.outputs[0].location.size,
    );
  }, 180_000);

  it('a video preset on an audio-only file is a permanent error, and nothing is left on disk', async () => {
    const err = await service
      .transcode({
        mediaType: 'audio/mpeg',
        source: await upload('audio.mp3', '1/1/a2v/origin'),
        presets: ['video-mp4-720p'],
        bucket: DERIV,
        keyPrefix: '1/1/a2v',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({
      retryable: false,
      message: 'Preset video-mp4-720p needs a video stream, and the file has none (audio only)',
    });
    expect(await store.stat(DERIV, '1/1/a2v/av/video-mp4-720p.mp4')).toBeNull();
    expect(workDirs()).toEqual([]);
  });

  it('a file ffmpeg cannot read (a truncated JPEG, random bytes) is a permanent error', async () => {
    for (const [name, key] of [
      ['corrupt-truncated.jpg', '1/1/bad/origin'],
      ['document-multipage.pdf', '1/1/pdf/origin'],
    ]) {
      const err = await service
        .transcode({
          mediaType: 'video/mp4',
          source: await upload(name, key),
          presets: ['video-mp4-720p'],
          bucket: DERIV,
          keyPrefix: key.replace('/origin', ''),
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MediaError);
      expect((err as MediaError).retryable).toBe(false);
      expect((err as MediaError).message).toMatch(/^The file is not audio or video ffmpeg can read \(/);
    }
    await store.put(ORIGINS, '1/1/noise/origin', Buffer.alloc(64 * 1024, 7));
    const err = await service
      .transcode({
        mediaType: 'video/mp4',
        source: { bucket: ORIGINS, key: '1/1/noise/origin' },
        presets: ['video-mp4-720p'],
        bucket: DERIV,
        keyPrefix: '1/1/noise',
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: false });
    expect((err as Error).message).toMatch(/^The file is not audio or video ffmpeg can read \(/);
    expect(workDirs()).toEqual([]);
  });

  it('an unknown preset is a permanent error before any work', async () => {
    await expect(
      service.transcode({
        mediaType: 'video/mp4',
        source: { bucket: ORIGINS, key: 'never-read' },
        presets: ['video-mp4-4k'],
        bucket: DERIV,
        keyPrefix: '1/1/x',
      }),
    ).rejects.toMatchObject({ retryable: false, message: 'Unknown AV preset "video-mp4-4k"' });
  });

  it('a stalled ffmpeg is killed at the timeout with a retryable error; shutdown cleans up', async () => {
    // A fake "ffmpeg" that never reports progress: the stall timer must kill it.
    const fake = path.join(tmpRoot, 'stuck-ffmpeg.sh');
    writeFileSync(fake, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const stuck = new AvTranscodeService(store, {
      ffmpeg: fake,
      ffprobe: 'ffprobe',
      stallTimeoutMs: 1500,
      tmpRoot,
    });
    const started = Date.now();
    const err = await stuck
      .transcode({
        mediaType: 'audio/mpeg',
        source: await upload('audio.mp3', '1/1/stuck/origin'),
        presets: ['audio-mp3-128'],
        bucket: DERIV,
        keyPrefix: '1/1/stuck',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({
      retryable: true,
      message: `${fake} made no progress for 1500 ms and was killed`,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(workDirs()).toEqual([]);

    // Shutdown while a job runs: the child is killed, the job fails retryable, the work directory is gone.
    const slow = new AvTranscodeService(store, {
      ffmpeg: fake,
      ffprobe: 'ffprobe',
      stallTimeoutMs: 60_000,
      tmpRoot,
    });
    const job = slow
      .transcode({
        mediaType: 'audio/mpeg',
        source: { bucket: ORIGINS, key: '1/1/stuck/origin' },
        presets: ['audio-mp3-128'],
        bucket: DERIV,
        keyPrefix: '1/1/stuck',
      })
      .catch((e: unknown) => e);
    const deadline = Date.now() + 10_000;
    while (slow.active === 0 || workDirs().length === 0) {
      if (Date.now() > deadline) throw new Error('the job never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    await slow.shutdown();
    expect(await job).toMatchObject({ retryable: true });
    expect(workDirs()).toEqual([]);
  });
});
