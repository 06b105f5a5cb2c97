import { JsonUploadSplitter, SplitterError } from './json-upload-splitter';

/** Splits `body` fed in chunks of `size` bytes; returns the residual, the file text and the events seen. */
function split(body: string, size = 1_000_000) {
  const residual: Buffer[] = [];
  const file: Buffer[] = [];
  const events: string[] = [];
  const s = new JsonUploadSplitter({
    residual: (b) => residual.push(Buffer.from(b)),
    fileStart: () => events.push('start'),
    fileText: (b) => file.push(Buffer.from(b)),
    fileEnd: () => events.push('end'),
  });
  const bytes = Buffer.from(body, 'utf8');
  for (let i = 0; i < bytes.length; i += size) s.write(bytes.subarray(i, i + size));
  s.end();
  return {
    residual: Buffer.concat(residual).toString('utf8'),
    file: Buffer.concat(file).toString('latin1'),
    events,
    sawFile: s.sawFile,
    id: s.id,
  };
}

describe('JsonUploadSplitter', () => {
  const cases: Array<[string, string, string, string]> = [
    ['file last', '{"id":"a","file":"QUJD"}', '{"id":"a","file":null}', 'QUJD'],
    [
      'file first',
      '{ "file" : "QUJD" , "mediaType":"image/jpeg"}',
      '{ "file" : null , "mediaType":"image/jpeg"}',
      'QUJD',
    ],
    ['escaped key', '{"fil\\u0065":"QUJD"}', '{"fil\\u0065":null}', 'QUJD'],
    ['escapes in the value', '{"file":"QU\\/J\\nD\\u0041="}', '{"file":null}', 'QU/JDA='],
    [
      'a nested "file" and strings holding braces and quotes are not the file',
      '{"tags":["file","}{"],"x":{"file":"no"},"s":"a\\"file\\":\\"b","file":"QQ=="}',
      '{"tags":["file","}{"],"x":{"file":"no"},"s":"a\\"file\\":\\"b","file":null}',
      'QQ==',
    ],
    ['a "file" value in an array root', '["file","QQ=="]', '["file","QQ=="]', ''],
    ['a non-string file stays in the residual', '{"file":123,"b":"file"}', '{"file":123,"b":"file"}', ''],
    ['no file', '{"id":"é","n":1}', '{"id":"é","n":1}', ''],
  ];
  it.each(cases)('%s', (_name, body, residual, file) => {
    for (const size of [1, 2, 3, 7, 1_000_000]) {
      const out = split(body, size);
      expect(out.residual).toBe(residual);
      expect(out.file).toBe(file);
      expect(out.events).toEqual(file ? ['start', 'end'] : []);
    }
  });

  it('records the root id string, escapes decoded, but not a nested one', () => {
    expect(split('{"x":{"id":"no"},"id":"a\\u00e9\\"b","file":"QQ=="}', 1).id).toBe('a\u00e9"b');
    expect(split('{"id":7,"file":"QQ=="}').id).toBeUndefined();
    expect(split('{"x":{"id":"no"}}').id).toBeUndefined();
  });

  it('refuses a second file member, a bad escape in it, and a body ending inside it', () => {
    expect(() => split('{"file":"QQ==","file":"QQ=="}')).toThrow(/more than one "file"/);
    expect(() => split('{"file":"Q\\"Q=="}')).toThrow(SplitterError);
    expect(() => split('{"file":"\\u00e9"}')).toThrow(/escape/);
    expect(() => split('{"file":"QQ==')).toThrow(/ends inside/);
  });
});
