import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Base64Decoder, Base64Error } from './base64-decoder';

async function decode(chunks: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  const stream = Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))).pipe(new Base64Decoder());
  for await (const b of stream) parts.push(b as Buffer);
  return Buffer.concat(parts);
}

/** Every way of cutting `text` into chunks of `size` characters. */
const cut = (text: string, size: number) => text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];

describe('Base64Decoder', () => {
  it.each([0, 1, 2, 3, 4, 5, 100, 1000, 4099])('decodes %i random bytes in any chunking', async (n) => {
    const bytes = randomBytes(n);
    const text = bytes.toString('base64');
    for (const size of [1, 2, 3, 5, 7, 64, 10_000]) expect(await decode(cut(text, size))).toEqual(bytes);
    // Unpadded, and with MIME line breaks every 76 characters.
    expect(await decode([text.replace(/=+$/, '')])).toEqual(bytes);
    expect(await decode(cut(text, 76).map((l) => `${l}\r\n`))).toEqual(bytes);
  });

  it.each([
    ['a', /middle of a byte/],
    ['abcde', /middle of a byte/],
    ['ab=c', /after the "=" padding|misplaced/],
    ['=abc', /misplaced "="/],
    ['a===', /misplaced "="/],
    ['ab==ab==', /after the "=" padding/],
    ['ab=', /incomplete "=" padding/],
    ['ab-_', /unexpected character/], // base64url is not accepted
    ['abc*', /unexpected character/],
    ['abcé', /unexpected character/],
  ])('refuses %j', async (text, why) => {
    const err = await decode([text]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Base64Error);
    expect((err as Error).message).toMatch(why);
  });
});
