import { once } from 'node:events';
import type { Writable } from 'node:stream';
import PDFDocument from 'pdfkit';

/**
 * The PDF projection's writer (SPEC.md §7 `pdf`): pages in, a PDF streamed out. pdfkit, which writes each page's
 * objects as soon as the next page starts and embeds JPEGs as they are (DCTDecode, no re-encoding), so memory holds
 * one page at a time, whatever the page count. No Nest, no store: the caller feeds pages and owns the stream.
 */

/** Resolution at which a page image is laid out: 96 pixels to the inch (CSS pixels), 0.75 pt per pixel. */
export const PDF_PIXELS_PER_INCH = 96;
const PT_PER_PX = 72 / PDF_PIXELS_PER_INCH;
/** A4 portrait in points: the cover page when there is no first page to take the size of. */
export const A4_POINTS = { width: 595.28, height: 841.89 } as const;

/** One page of the PDF. Sizes are in pixels of the image (text pages: of the image they stand for). */
export type PdfPage =
  /** A page showing a JPEG at its own size (`width`×`height` pixels). */
  | { kind: 'image'; jpeg: Buffer; width: number; height: number; label: string }
  /** A page of text only (a redacted asset, an asset without an image), the size of the image it stands for. */
  | { kind: 'text'; text: string; width: number; height: number; label: string };

/** Document options. */
export interface PdfOptions {
  /** The document's Title (the `objectname`, or the query's name). */
  title: string;
  /** A cover page's text (`coverpage`), as page 1, the size of the first page; absent = no cover page. */
  coverPage?: string;
  /** The document's Subject (e.g. the named-query URL); optional. */
  subject?: string;
  /** CreationDate; default now. */
  created?: Date;
}

/** What {@link writePdf} wrote. */
export interface PdfResult {
  /** Pages written, the cover page included. */
  pageCount: number;
  /** Bytes written to the output. */
  bytes: number;
}

/**
 * Text the standard PDF fonts (WinAnsi encoding) can show: common typographic punctuation mapped to ASCII, tabs to
 * spaces, other characters outside Latin-1 (and controls) replaced by `?`, line breaks kept.
 */
export function pdfSafeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u2018\u2019\u201a\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
    .replace(/[\u2013\u2014\u2212]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/\t/g, ' ')
    .replace(/[^\n\u0020-\u007e\u00a0-\u00ff]/g, '?');
}

/** Page size in points for an image of `width`×`height` pixels ({@link PDF_PIXELS_PER_INCH}). */
export function pagePoints(width: number, height: number): { width: number; height: number } {
  return { width: Math.max(1, width * PT_PER_PX), height: Math.max(1, height * PT_PER_PX) };
}

/**
 * Writes a PDF of `pages` (in order, after the optional cover page) to `out`, and ends `out`.
 * Between pages it waits for `out` to drain, so a slow consumer (an upload) bounds the memory held.
 * @param pages the pages, produced lazily (an async generator fetching one image at a time).
 * @returns page count and bytes.
 * @throws whatever `pages` throws, or an error for a JPEG pdfkit cannot read; `out` is then destroyed with it.
 */
export async function writePdf(
  pages: AsyncIterable<PdfPage>,
  out: Writable,
  opts: PdfOptions,
): Promise<PdfResult> {
  const doc = new PDFDocument({
    autoFirstPage: false,
    compress: true,
    info: {
      Title: pdfSafeText(opts.title),
      Creator: 'Vellum',
      Producer: 'Vellum (pdfkit)',
      ...(opts.subject ? { Subject: pdfSafeText(opts.subject) } : {}),
      CreationDate: opts.created ?? new Date(),
    },
  });
  let bytes = 0;
  let failure: Error | undefined;
  doc.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (!out.destroyed) out.write(chunk);
  });
  const ended = new Promise<void>((resolve, reject) => {
    doc.once('end', resolve);
    doc.once('error', reject);
  });
  const outFailed = new Promise<never>((_, reject) => {
    out.once('error', (err) => reject(err));
  });
  outFailed.catch(() => undefined);
  const drain = async (): Promise<void> => {
    if (out.writableNeedDrain) await Promise.race([once(out, 'drain'), outFailed]);
  };

  let pageCount = 0;
  try {
    let coverPending = opts.coverPage !== undefined && opts.coverPage.trim() !== '';
    for await (const page of pages) {
      if (coverPending) {
        coverPending = false;
        textPage(doc, pagePoints(page.width, page.height), opts.coverPage!, 'cover');
        pageCount++;
      }
      if (page.kind === 'image') imagePage(doc, page);
      else textPage(doc, pagePoints(page.width, page.height), page.text, 'note');
      pageCount++;
      await drain();
    }
    if (coverPending) {
      textPage(doc, A4_POINTS, opts.coverPage!, 'cover');
      pageCount++;
    }
    if (pageCount === 0) throw new Error('a PDF needs at least one page');
    doc.end();
    await Promise.race([ended, outFailed]);
    await drain();
    out.end();
    return { pageCount, bytes };
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
    out.destroy(failure);
    throw failure;
  }
}

function imagePage(doc: PDFKit.PDFDocument, page: Extract<PdfPage, { kind: 'image' }>): void {
  const size = pagePoints(page.width, page.height);
  doc.addPage({ size: [size.width, size.height], margin: 0 });
  try {
    doc.image(page.jpeg, 0, 0, { width: size.width, height: size.height });
  } catch (err) {
    throw new Error(
      `the image of ${page.label} cannot be placed in the PDF: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** A page with `text` centred in a box; `cover` text is larger. */
function textPage(
  doc: PDFKit.PDFDocument,
  size: { width: number; height: number },
  text: string,
  style: 'cover' | 'note',
): void {
  doc.addPage({ size: [size.width, size.height], margin: 0 });
  const margin = Math.min(size.width, size.height) * 0.1;
  const boxWidth = Math.max(10, size.width - 2 * margin);
  const fontSize = Math.max(8, Math.min(style === 'cover' ? 28 : 18, size.width / 20));
  doc
    .font('Helvetica')
    .fontSize(fontSize)
    .fillColor(style === 'cover' ? '#000000' : '#444444');
  const body = pdfSafeText(text);
  const height = doc.heightOfString(body, { width: boxWidth, align: 'center' });
  const y = Math.max(margin, (size.height - height) / 2);
  doc.text(body, margin, y, { width: boxWidth, align: 'center', lineBreak: true, height: size.height - y });
}
