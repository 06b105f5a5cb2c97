/**
 * Lossless crop of a baseline JPEG to its top-left corner, in the entropy-coded domain (what `jpegtran -crop WxH+0+0`
 * does; ITU T.81 §F.1.2 Huffman coding, §B.2 syntax): the Huffman-coded blocks of the MCUs inside the new size are
 * re-emitted unchanged except for their DC differences (re-predicted across the dropped MCUs), the frame header gets
 * the new size, and nothing is decoded to pixels or re-quantised. Used for padded edge tiles of the pyramid, which
 * are otherwise decoded and re-encoded. Pure; no sharp.
 */

/** A Huffman table for decoding (a 9-bit fast lookup plus canonical-code limits) and for encoding. */
interface HuffTable {
  /** `(length << 8) | symbol` for codes of ≤ 9 bits, indexed by the next 9 bits; 0 when longer. */
  fast: Uint16Array;
  /** Largest code of each length 1..16 (-1 when none). */
  maxCode: Int32Array;
  /** Index into `values` of the first code of each length, minus that code. */
  valOffset: Int32Array;
  values: Uint8Array;
  /** Encoding: code and length by symbol (length 0 = symbol absent). */
  encCode: Uint16Array;
  encSize: Uint8Array;
}

const FAST_BITS = 9;

function buildTable(counts: Uint8Array, values: Uint8Array): HuffTable {
  const fast = new Uint16Array(1 << FAST_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const valOffset = new Int32Array(18);
  const encCode = new Uint16Array(256);
  const encSize = new Uint8Array(256);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1];
    valOffset[len] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      const sym = values[k];
      encCode[sym] = code;
      encSize[sym] = len;
      if (len <= FAST_BITS) {
        const shift = FAST_BITS - len;
        for (let j = 0; j < 1 << shift; j++) fast[(code << shift) | j] = (len << 8) | sym;
      }
    }
    if (n > 0) maxCode[len] = code - 1;
    code <<= 1;
  }
  return { fast, maxCode, valOffset, values, encCode, encSize };
}

/** Thrown internally when the stream is not one this cropper handles; {@link cropJpegTopLeft} returns undefined. */
class Unsupported extends Error {}

/**
 * Crops a baseline, Huffman-coded, single-scan JPEG (SOF0/SOF1, 8-bit, no restart intervals) to its top-left
 * `width`×`height` pixels without decoding pixels: MCUs wholly outside the new size are dropped (the last kept MCU
 * row/column may extend beyond it, as in any JPEG whose size is not a multiple of the MCU size).
 *
 * @param jpeg a complete JPEG file (SOI ... EOI).
 * @param width new width in pixels, 1 ≤ width ≤ the image's width.
 * @param height new height in pixels, 1 ≤ height ≤ the image's height.
 * @returns the cropped JPEG file, or undefined when the stream uses a feature this cropper does not handle
 *   (progressive or arithmetic coding, restart intervals, several scans, a DC difference without a Huffman code)
 *   or is malformed; the caller then decodes and re-encodes instead.
 */
export function cropJpegTopLeft(jpeg: Buffer, width: number, height: number): Buffer | undefined {
  try {
    return crop(jpeg, width, height);
  } catch (err) {
    if (err instanceof Unsupported || err instanceof RangeError) return undefined;
    throw err;
  }
}

interface Component {
  id: number;
  h: number;
  v: number;
  dc?: HuffTable;
  ac?: HuffTable;
}

function crop(jpeg: Buffer, width: number, height: number): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Unsupported('no SOI');
  const dcTables: Array<HuffTable | undefined> = [];
  const acTables: Array<HuffTable | undefined> = [];
  const head: Buffer[] = [jpeg.subarray(0, 2)];
  let comps: Component[] = [];
  let frameW = 0;
  let frameH = 0;
  let sofAt = -1;
  let i = 2;
  for (;;) {
    if (jpeg[i] !== 0xff) throw new Unsupported('marker expected');
    const m = jpeg[i + 1];
    if (m === 0xff) {
      i++;
      continue;
    }
    const len = jpeg.readUInt16BE(i + 2);
    const seg = jpeg.subarray(i, i + 2 + len);
    if (seg.length !== 2 + len) throw new Unsupported('truncated segment');
    if (m === 0xc0 || m === 0xc1) {
      if (seg[4] !== 8) throw new Unsupported('not 8-bit');
      frameH = seg.readUInt16BE(5);
      frameW = seg.readUInt16BE(7);
      const nf = seg[9];
      comps = [];
      for (let c = 0; c < nf; c++) {
        const o = 10 + c * 3;
        comps.push({ id: seg[o], h: seg[o + 1] >> 4, v: seg[o + 1] & 15 });
      }
      sofAt = head.length;
      head.push(Buffer.from(seg));
    } else if ((m >= 0xc2 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xcc) {
      throw new Unsupported('not baseline Huffman');
    } else if (m === 0xdd) {
      if (seg.readUInt16BE(4) !== 0) throw new Unsupported('restart intervals');
    } else if (m === 0xc4) {
      let o = 4;
      while (o < seg.length) {
        const tc = seg[o] >> 4;
        const th = seg[o] & 15;
        const counts = seg.subarray(o + 1, o + 17);
        let total = 0;
        for (const c of counts) total += c;
        const values = seg.subarray(o + 17, o + 17 + total);
        if (values.length !== total) throw new Unsupported('truncated DHT');
        (tc === 0 ? dcTables : acTables)[th] = buildTable(counts, values);
        o += 17 + total;
      }
      head.push(seg);
    } else if (m === 0xda) {
      if (sofAt < 0) throw new Unsupported('SOS before SOF');
      const ns = seg[4];
      if (ns !== comps.length) throw new Unsupported('not a single interleaved scan');
      const scan: Component[] = [];
      for (let c = 0; c < ns; c++) {
        const id = seg[5 + c * 2];
        const sel = seg[6 + c * 2];
        const comp = comps.find((x) => x.id === id);
        if (!comp) throw new Unsupported('unknown component');
        comp.dc = dcTables[sel >> 4];
        comp.ac = acTables[sel & 15];
        if (!comp.dc || !comp.ac) throw new Unsupported('missing Huffman table');
        scan.push(comp);
      }
      const o = 5 + ns * 2;
      if (seg[o] !== 0 || seg[o + 1] !== 63 || seg[o + 2] !== 0)
        throw new Unsupported('not a sequential scan');
      if (width < 1 || height < 1 || width > frameW || height > frameH)
        throw new Unsupported('crop outside the image');
      const sof = head[sofAt];
      sof.writeUInt16BE(height, 5);
      sof.writeUInt16BE(width, 7);
      head.push(seg);
      const entropy = transcode(jpeg, i + 2 + len, scan, frameW, frameH, width, height);
      return Buffer.concat([...head, entropy, Buffer.from([0xff, 0xd9])]);
    } else if (m === 0xd9 || m === 0xd8 || (m >= 0xd0 && m <= 0xd7)) {
      throw new Unsupported('unexpected marker');
    } else {
      head.push(seg); // DQT, APPn, COM...
    }
    i += 2 + len;
  }
}

/**
 * Re-emits the entropy-coded segment starting at `start` for the MCUs inside `width`×`height` (see
 * {@link cropJpegTopLeft}). Returns the new entropy-coded bytes (byte-stuffed, padded with 1-bits).
 */
function transcode(
  jpeg: Buffer,
  start: number,
  scan: Component[],
  frameW: number,
  frameH: number,
  width: number,
  height: number,
): Buffer {
  const hMax = Math.max(...scan.map((c) => c.h));
  const vMax = Math.max(...scan.map((c) => c.v));
  // One component: non-interleaved, one block per MCU (T.81 §A.2.2); else interleaved MCUs of hMax×vMax blocks.
  const single = scan.length === 1;
  const mcuW = single ? 8 : 8 * hMax;
  const mcuH = single ? 8 : 8 * vMax;
  const mcusX = Math.ceil(frameW / mcuW);
  const keepX = Math.ceil(width / mcuW);
  const keepY = Math.ceil(height / mcuH);
  if (Math.ceil(frameH / mcuH) < keepY) throw new Unsupported('crop outside the image');
  const blocks: Component[] = [];
  for (const c of scan) for (let b = 0; b < (single ? 1 : c.h * c.v); b++) blocks.push(c);
  const compIndex = blocks.map((c) => scan.indexOf(c));

  // Hot loop kept in one function with local state (closures over `let`s are several times slower in V8).
  // Reader: `acc` holds `nbits` unread bits (low bits); 0xFF 0x00 → 0xFF; at a marker zeros are fed instead.
  const n = jpeg.length;
  let pos = start;
  let acc = 0;
  let nbits = 0;
  // Writer: `wacc` holds `wbits` (< 8) pending bits; 0xFF bytes are followed by a stuffed 0x00.
  let out = Buffer.allocUnsafe(Math.max(1024, 2 * (n - start) + 1024));
  let o = 0;
  let wacc = 0;
  let wbits = 0;

  const pred = new Int32Array(scan.length);
  const outPred = new Int32Array(scan.length);
  const fastMask = (1 << FAST_BITS) - 1;
  for (let my = 0; my < keepY; my++) {
    for (let mx = 0; mx < mcusX; mx++) {
      const keep = mx < keepX;
      // Worst case per MCU: 10 blocks × 64 codes × 27 bits, stuffed: well under 8 KiB.
      if (keep && o + 8192 > out.length) {
        const bigger = Buffer.allocUnsafe(out.length * 2);
        out.copy(bigger, 0, 0, o);
        out = bigger;
      }
      for (let b = 0; b < blocks.length; b++) {
        const comp = blocks[b];
        const ci = compIndex[b];
        let table = comp.dc!;
        let code = 0;
        let len = 0;
        let sym = 0;
        // DC: difference category, then that many bits (T.81 §F.1.2.1).
        while (nbits <= 24) {
          let byte = 0;
          if (pos < n) {
            byte = jpeg[pos];
            if (byte !== 0xff) pos++;
            else if (jpeg[pos + 1] === 0) pos += 2;
            else byte = 0;
          }
          acc = (acc << 8) | byte;
          nbits += 8;
        }
        let e = table.fast[(acc >>> (nbits - FAST_BITS)) & fastMask];
        if (e !== 0) {
          len = e >> 8;
          sym = e & 0xff;
        } else {
          for (len = FAST_BITS + 1; len <= 16; len++) {
            code = (acc >>> (nbits - len)) & ((1 << len) - 1);
            if (code <= table.maxCode[len]) break;
          }
          if (len > 16) throw new Unsupported('bad Huffman code');
          sym = table.values[table.valOffset[len] + code];
        }
        nbits -= len;
        let diff = 0;
        if (sym > 0) {
          if (sym > 16) throw new Unsupported('bad DC category');
          if (nbits < sym) {
            while (nbits <= 24) {
              let byte = 0;
              if (pos < n) {
                byte = jpeg[pos];
                if (byte !== 0xff) pos++;
                else if (jpeg[pos + 1] === 0) pos += 2;
                else byte = 0;
              }
              acc = (acc << 8) | byte;
              nbits += 8;
            }
          }
          nbits -= sym;
          const v = (acc >>> nbits) & ((1 << sym) - 1);
          diff = v < 1 << (sym - 1) ? v - (1 << sym) + 1 : v;
        }
        pred[ci] += diff;
        if (keep) {
          const nd = pred[ci] - outPred[ci];
          outPred[ci] = pred[ci];
          const mag = nd < 0 ? -nd : nd;
          const cat = mag === 0 ? 0 : 32 - Math.clz32(mag);
          const size = table.encSize[cat];
          if (size === 0) throw new Unsupported('DC category without a code');
          wacc = (wacc << size) | table.encCode[cat];
          wbits += size;
          if (cat > 0) {
            wacc = (wacc << cat) | (nd < 0 ? (nd + (1 << cat) - 1) & ((1 << cat) - 1) : nd);
            wbits += cat;
          }
          while (wbits >= 8) {
            wbits -= 8;
            const byte = (wacc >>> wbits) & 0xff;
            out[o++] = byte;
            if (byte === 0xff) out[o++] = 0;
          }
          wacc &= (1 << wbits) - 1;
        }
        // AC: run/size symbols with their bits, copied as read (T.81 §F.1.2.2).
        table = comp.ac!;
        for (let k = 1; k < 64;) {
          while (nbits <= 24) {
            let byte = 0;
            if (pos < n) {
              byte = jpeg[pos];
              if (byte !== 0xff) pos++;
              else if (jpeg[pos + 1] === 0) pos += 2;
              else byte = 0;
            }
            acc = (acc << 8) | byte;
            nbits += 8;
          }
          e = table.fast[(acc >>> (nbits - FAST_BITS)) & fastMask];
          if (e !== 0) {
            len = e >> 8;
            sym = e & 0xff;
          } else {
            for (len = FAST_BITS + 1; len <= 16; len++) {
              code = (acc >>> (nbits - len)) & ((1 << len) - 1);
              if (code <= table.maxCode[len]) break;
            }
            if (len > 16) throw new Unsupported('bad Huffman code');
            sym = table.values[table.valOffset[len] + code];
          }
          const s = sym & 15;
          // The code and its s extra bits are copied as read (the accumulator never exceeds 32 bits: wbits < 8,
          // len ≤ 16, s ≤ 15).
          if (keep) {
            wacc = (wacc << len) | ((acc >>> (nbits - len)) & ((1 << len) - 1));
            wbits += len;
            while (wbits >= 8) {
              wbits -= 8;
              const byte = (wacc >>> wbits) & 0xff;
              out[o++] = byte;
              if (byte === 0xff) out[o++] = 0;
            }
            wacc &= (1 << wbits) - 1;
          }
          nbits -= len;
          if (s > 0) {
            if (nbits < s) {
              while (nbits <= 24) {
                let byte = 0;
                if (pos < n) {
                  byte = jpeg[pos];
                  if (byte !== 0xff) pos++;
                  else if (jpeg[pos + 1] === 0) pos += 2;
                  else byte = 0;
                }
                acc = (acc << 8) | byte;
                nbits += 8;
              }
            }
            nbits -= s;
            if (keep) {
              wacc = (wacc << s) | ((acc >>> nbits) & ((1 << s) - 1));
              wbits += s;
              while (wbits >= 8) {
                wbits -= 8;
                const byte = (wacc >>> wbits) & 0xff;
                out[o++] = byte;
                if (byte === 0xff) out[o++] = 0;
              }
              wacc &= (1 << wbits) - 1;
            }
          }
          if (s === 0) {
            if (sym !== 0xf0) break; // EOB
            k += 16;
          } else {
            k += (sym >> 4) + 1;
          }
        }
      }
    }
  }
  const put = (value: number, size: number): void => {
    wacc = (wacc << size) | value;
    wbits += size;
    while (wbits >= 8) {
      wbits -= 8;
      const byte = (wacc >>> wbits) & 0xff;
      out[o++] = byte;
      if (byte === 0xff) out[o++] = 0;
    }
    wacc &= (1 << wbits) - 1;
  };
  if (wbits > 0) put((1 << (8 - wbits)) - 1, 8 - wbits);
  return out.subarray(0, o);
}
