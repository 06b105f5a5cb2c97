import { customHeaderNameProblem, customHeaderValueProblem } from './index';

describe('custom header names (SPEC.md §3.3, §5)', () => {
  it.each([['Cache-Control'], ['X-Robots-Tag'], ['timing-allow-origin'], ['x_custom'], ["a!#$%&'*+.^`|~z"]])(
    'accepts %s',
    (name) => expect(customHeaderNameProblem(name)).toBeNull(),
  );
  it.each([
    ['', /empty/],
    ['X Header', /token/],
    ['X:Y', /token/],
    ['X-Ü', /token/],
    ['(x)', /token/],
    ['x'.repeat(101), /at most 100/],
    ['Connection', /hop-by-hop/],
    ['KEEP-ALIVE', /hop-by-hop/],
    ['Transfer-Encoding', /hop-by-hop/],
    ['Upgrade', /hop-by-hop/],
    ['Content-Length', /delivery service/],
    ['content-type', /delivery service/],
    ['Content-Encoding', /delivery service/],
    ['Content-Range', /delivery service/],
    ['Access-Control-Allow-Origin', /delivery service/],
    ['access-control-expose-headers', /delivery service/],
    ['Set-Cookie', /delivery service/],
    ['ETag', /delivery service/],
    ['Last-Modified', /delivery service/],
    ['Vary', /delivery service/],
    ['Location', /delivery service/],
    ['Link', /delivery service/],
    ['WWW-Authenticate', /delivery service/],
  ])('refuses %j', (name, message) => expect(customHeaderNameProblem(name)).toMatch(message));
});

describe('custom header values', () => {
  it.each([['private, max-age=600'], ['*'], ['a\tb'], ['café'], ['x'.repeat(4096)]])('accepts %j', (v) =>
    expect(customHeaderValueProblem(v)).toBeNull(),
  );
  it.each([
    ['a\r\nSet-Cookie: x=1', /CR or LF/],
    ['a\rb', /CR or LF/],
    ['a\nb', /CR or LF/],
    ['a\u0000b', /control/],
    ['a\u001bb', /control/],
    ['a\u007fb', /control/],
    ['€', /Latin-1/],
    [' x', /white space/],
    ['x\t', /white space/],
    ['x'.repeat(4097), /at most 4096/],
  ])('refuses %j', (v, message) => expect(customHeaderValueProblem(v)).toMatch(message));
});
