import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import * as yauzl from 'yauzl';
import { fixturePath } from '@vellum/testing';
import { A4_POINTS, pagePoints, pdfSafeText, writePdf, type PdfPage } from './pdf-builder';
import { writeZip, zipEntryName } from './zip-builder';

const run = promisify(execFile);

/** Real thumbnails: fixtures resized to fit `!edge,edge` as the image-processor writes them (baseline JPEG q85). */
async function thumbnail(
  name: string,
  edge: number,
): Promise<{ jpeg: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(fixturePath(name))
    .rotate()
    .resize(edge, edge, { fit: 'inside' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .jpeg({ quality: 85, progressive: false })
    .toBuffer({ resolveWithObject: true });
  return { jpeg: data, width: info.width, height: info.height };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  for (const i of items) yield i;
}

/** Every entry of a ZIP: name, bytes, mtime and compression method (yauzl). */
async function unzip(
  buf: Buffer,
): Promise<Array<{ name: string; data: Buffer; method: number; mtime: Date }>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const out: Array<{ name: string; data: Buffer; method: number; mtime: Date }> = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, s) => {
        if (err) return reject(err);
        collect(s)
          .then((data) => {
            out.push({
              name: entry.fileName,
              data,
              method: entry.compressionMethod,
              mtime: entry.getLastModDate(),
            });
            zip.readEntry();
          })
          .catch(reject);
      });
    });
    zip.readEntry();
  });
  return out;
}

let thumbs: Array<{ name: string; jpeg: Buffer; width: number; height: number }>;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vellum-projection-spec-'));
  thumbs = [];
  for (const [name, edge] of [
    ['photo-large.jpg', 1024],
    ['exif-orientation-6.jpg', 1024],
    ['grayscale.png', 400],
    ['png-alpha.png', 1024],
    ['cmyk.jpg', 400],
  ] as const) {
    thumbs.push({ name, ...(await thumbnail(name, edge)) });
  }
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('writePdf', () => {
  it('writes one page per image at 96 px to the inch, a cover page first, and text pages for redacted ones', async () => {
    const pages: PdfPage[] = [
      ...thumbs.map((t) => ({
        kind: 'image' as const,
        jpeg: t.jpeg,
        width: t.width,
        height: t.height,
        label: t.name,
      })),
      { kind: 'text', text: 'This page is restricted', width: 800, height: 600, label: 'secret' },
    ];
    const out = new PassThrough();
    const bytes = collect(out);
    const result = await writePdf(iterate(pages), out, {
      title: 'Book b12345',
      coverPage: 'The Book of Kells\nVolume 1',
      created: new Date('2026-12-08T10:00:00Z'),
    });
    const pdf = await bytes;
    expect(result).toEqual({ pageCount: 7, bytes: pdf.length });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(7);
    expect(doc.getTitle()).toBe('Book b12345');
    const sizes = doc.getPages().map((p) => p.getSize());
    // The cover page has the first page's size; each image page its image's size at 0.75 pt per pixel.
    const first = pagePoints(thumbs[0].width, thumbs[0].height);
    expect(sizes[0].width).toBeCloseTo(first.width, 1);
    expect(sizes[0].height).toBeCloseTo(first.height, 1);
    thumbs.forEach((t, i) => {
      expect(sizes[i + 1].width).toBeCloseTo(t.width * 0.75, 1);
      expect(sizes[i + 1].height).toBeCloseTo(t.height * 0.75, 1);
    });
    expect(sizes[6].width).toBeCloseTo(600, 1);
    expect(sizes[6].height).toBeCloseTo(450, 1);
    // 1024 × 576 px (photo-large.jpg's thumbnail) → 768 × 432 pt.
    expect([thumbs[0].width, thumbs[0].height]).toEqual([1024, 576]);

    // poppler agrees, and finds the cover and redaction texts on their pages.
    const file = path.join(tmp, 'book.pdf');
    await writeFile(file, pdf);
    const info = (await run('pdfinfo', [file])).stdout;
    expect(info).toMatch(/^Pages:\s+7$/m);
    expect(info).toMatch(/^Page size:\s+768 x 432 pts$/m);
    const cover = (await run('pdftotext', ['-f', '1', '-l', '1', file, '-'])).stdout;
    expect(cover).toContain('The Book of Kells');
    expect(cover).toContain('Volume 1');
    const redacted = (await run('pdftotext', ['-f', '7', '-l', '7', file, '-'])).stdout;
    expect(redacted.trim()).toBe('This page is restricted');
    expect((await run('pdftotext', ['-f', '2', '-l', '2', file, '-'])).stdout.trim()).toBe('');

    // The thumbnails are embedded as they are (DCTDecode), not re-encoded: their bytes are in the file.
    for (const t of thumbs) expect(pdf.includes(t.jpeg)).toBe(true);
  });

  it('renders the pixels of the thumbnail on its page', async () => {
    const t = thumbs[2]; // grayscale.png, 400 × 400
    const out = new PassThrough();
    const bytes = collect(out);
    await writePdf(
      iterate([{ kind: 'image', jpeg: t.jpeg, width: t.width, height: t.height, label: 'g' }]),
      out,
      {
        title: 'one',
      },
    );
    const file = path.join(tmp, 'one.pdf');
    await writeFile(file, await bytes);
    await run('pdftoppm', ['-r', '96', '-png', '-singlefile', file, path.join(tmp, 'one')]);
    const rendered = await sharp(path.join(tmp, 'one.png'))
      .removeAlpha()
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([rendered.info.width, rendered.info.height]).toEqual([400, 400]);
    const source = await sharp(t.jpeg).greyscale().raw().toBuffer();
    const flipped = await sharp(t.jpeg).flip().greyscale().raw().toBuffer();
    const meanDiff = (a: Buffer, b: Buffer) => {
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i]);
      return diff / a.length;
    };
    // poppler resamples a little at page edges; another picture is far off.
    expect(meanDiff(source, rendered.data)).toBeLessThan(8);
    expect(meanDiff(flipped, rendered.data)).toBeGreaterThan(25);
  });

  it('puts a cover page alone on A4 when there are no other pages, and refuses an empty PDF', async () => {
    const out = new PassThrough();
    const bytes = collect(out);
    expect(await writePdf(iterate([]), out, { title: 't', coverPage: 'Only a cover' })).toMatchObject({
      pageCount: 1,
    });
    const doc = await PDFDocument.load(await bytes);
    expect(doc.getPage(0).getSize().width).toBeCloseTo(A4_POINTS.width, 1);
    const empty = new PassThrough();
    empty.on('error', () => undefined);
    await expect(writePdf(iterate([]), empty, { title: 't' })).rejects.toThrow(
      'a PDF needs at least one page',
    );
    expect(empty.destroyed).toBe(true);
  });

  it('ignores a blank cover page and writes text in the standard fonts', async () => {
    const out = new PassThrough();
    const bytes = collect(out);
    const r = await writePdf(
      iterate([{ kind: 'text', text: 'Café “quoted” – 東京', width: 400, height: 400, label: 'x' }]),
      out,
      { title: 'x', coverPage: '   ' },
    );
    expect(r.pageCount).toBe(1);
    const file = path.join(tmp, 'text.pdf');
    await writeFile(file, await bytes);
    expect((await run('pdftotext', [file, '-'])).stdout.trim()).toBe('Café "quoted" - ??');
    expect(pdfSafeText('a\r\nb\tc\u0001')).toBe('a\nb c?');
  });

  it('fails with the page that is not a JPEG, and destroys the output', async () => {
    const out = new PassThrough();
    out.on('error', () => undefined);
    out.resume();
    await expect(
      writePdf(
        iterate([
          { kind: 'image', jpeg: Buffer.from('not a jpeg'), width: 10, height: 10, label: '2/1/bad' },
        ]),
        out,
        {
          title: 'x',
        },
      ),
    ).rejects.toThrow(/^the image of 2\/1\/bad cannot be placed in the PDF: /);
    expect(out.destroyed).toBe(true);
  });

  it('waits for a slow output between pages (100 pages, never more than two pages buffered)', async () => {
    const t = thumbs[0];
    let maxBuffered = 0;
    let received = 0;
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        setImmediate(cb);
      },
    });
    async function* pages(): AsyncGenerator<PdfPage> {
      for (let i = 0; i < 100; i++) {
        maxBuffered = Math.max(maxBuffered, slow.writableLength);
        yield { kind: 'image', jpeg: t.jpeg, width: t.width, height: t.height, label: `p${i}` };
      }
    }
    const finished = new Promise((resolve) => slow.on('finish', resolve));
    const r = await writePdf(pages(), slow, { title: 'hundred' });
    await finished;
    expect(r.pageCount).toBe(100);
    expect(received).toBe(r.bytes);
    expect(r.bytes).toBeGreaterThan(100 * t.jpeg.length);
    expect(maxBuffered).toBeLessThan(2 * t.jpeg.length + 64 * 1024);
  });
});

describe('writeZip', () => {
  it('stores each thumbnail as an entry named by its asset id, streamed in order', async () => {
    const used = new Set<string>();
    const opened: string[] = [];
    const mtime = new Date('2026-12-08T10:00:00Z');
    const entries = thumbs.map((t, i) => ({
      name: zipEntryName(`page-${i + 1}`, 'jpg', used),
      mtime,
      size: t.jpeg.length,
      open: async () => {
        opened.push(t.name);
        return Readable.from([t.jpeg.subarray(0, 1000), t.jpeg.subarray(1000)]);
      },
    }));
    const out = new PassThrough();
    const bytes = collect(out);
    const result = await writeZip(entries, out);
    const zip = await bytes;
    expect(result).toEqual({ entryCount: 5, bytes: zip.length });
    expect(opened).toEqual(thumbs.map((t) => t.name));
    const read = await unzip(zip);
    expect(read.map((e) => e.name)).toEqual([
      'page-1.jpg',
      'page-2.jpg',
      'page-3.jpg',
      'page-4.jpg',
      'page-5.jpg',
    ]);
    read.forEach((e, i) => {
      expect(e.data.equals(thumbs[i].jpeg)).toBe(true);
      expect(e.method).toBe(0); // stored
    });
    // Info-ZIP's unzip reads it too.
    const file = path.join(tmp, 'thumbs.zip');
    await writeFile(file, zip);
    const listing = (await run('unzip', ['-t', file])).stdout;
    expect(listing).toContain('No errors detected');
    const meta = await sharp(read[2].data).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([400, 400, 'jpeg']);
  });

  it('opens one entry at a time', async () => {
    let open = 0;
    let maxOpen = 0;
    const entries = Array.from({ length: 20 }, (_, i) => ({
      name: `e${i}.jpg`,
      mtime: new Date(),
      open: async () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        const s = Readable.from([thumbs[2].jpeg]);
        s.on('end', () => open--);
        return s;
      },
    }));
    const out = new PassThrough();
    const bytes = collect(out);
    await writeZip(entries, out);
    expect((await unzip(await bytes)).length).toBe(20);
    expect(maxOpen).toBe(1);
  });

  it('fails when an entry cannot be opened or is shorter than its size, destroying the output', async () => {
    const out = new PassThrough();
    out.on('error', () => undefined);
    out.resume();
    await expect(
      writeZip(
        [
          {
            name: 'a.jpg',
            mtime: new Date(),
            open: () => Promise.reject(new Error('Object not found: b/k')),
          },
        ],
        out,
      ),
    ).rejects.toThrow('Object not found: b/k');
    expect(out.destroyed).toBe(true);
    const out2 = new PassThrough();
    out2.on('error', () => undefined);
    out2.resume();
    await expect(
      writeZip(
        [
          {
            name: 'a.jpg',
            mtime: new Date(),
            size: 100,
            open: async () => Readable.from([Buffer.alloc(10)]),
          },
        ],
        out2,
      ),
    ).rejects.toThrow('file data stream has unexpected number of bytes');
    await expect(writeZip([], new PassThrough())).rejects.toThrow('a ZIP needs at least one entry');
  });

  it.each([
    ['page-001', 'page-001.jpg'],
    ['a:b*c?d"e<f>g|h', 'a_b_c_d_e_f_g_h.jpg'],
    ['..', '_.jpg'],
    ['tab\there', 'tab_here.jpg'],
    ["it's(1)+[x]", "it's(1)+[x].jpg"],
  ])('names %j as %j', (id, name) => {
    expect(zipEntryName(id, 'jpg', new Set())).toBe(name);
  });

  it('names a repeated id (two spaces) apart, whatever its case', () => {
    const used = new Set<string>();
    expect(['x', 'x', 'X', 'x'].map((id) => zipEntryName(id, 'jpg', used))).toEqual([
      'x.jpg',
      'x (2).jpg',
      'X (3).jpg',
      'x (4).jpg',
    ]);
  });
});
