import { fieldsOf } from '../http/body-contract';
import { checkBody } from '../resource/body-check';
import { CustomHeaderBodyDto } from './custom-header-body.dto';
import { CUSTOM_HEADER_FIELDS } from './custom-header.fields';

describe('the custom header body (SPEC.md §3.3)', () => {
  it("DTO keys are the field table's writable fields", () => {
    expect([...fieldsOf(CustomHeaderBodyDto)].sort()).toEqual([...CUSTOM_HEADER_FIELDS.writable].sort());
  });

  it.each([
    [{ key: 'Cache-Control', value: 'private, max-age=60' }],
    [{ key: 'X-Robots-Tag', value: 'noindex', space: 3, role: 'https://example.org/roles/staff' }],
    [{ key: 'timing-allow-origin', value: '*', space: null, role: null }],
  ])('accepts %j', (body) => {
    expect(checkBody(CustomHeaderBodyDto, body).errors).toEqual([]);
  });

  it.each([
    [{ key: 'Content-Type', value: 'text/plain' }, 'key', /set by the delivery service/],
    [{ key: 'content-length', value: '1' }, 'key', /set by the delivery service/],
    [{ key: 'Access-Control-Allow-Origin', value: 'x' }, 'key', /set by the delivery service/],
    [{ key: 'Set-Cookie', value: 'a=b' }, 'key', /set by the delivery service/],
    [{ key: 'Transfer-Encoding', value: 'chunked' }, 'key', /hop-by-hop/],
    [{ key: 'Bad Header', value: 'x' }, 'key', /RFC 9110 token/],
    [{ key: 'X:Y', value: 'x' }, 'key', /RFC 9110 token/],
    [{ key: '', value: 'x' }, 'key', /must not be empty/],
    [{ key: 'X-A', value: 'a\r\nSet-Cookie: b' }, 'value', /CR or LF/],
    [{ key: 'X-A', value: 'a\nb' }, 'value', /CR or LF/],
    [{ key: 'X-A', value: 'é€' }, 'value', /Latin-1/],
    [{ key: 'X-A', value: ' padded' }, 'value', /white space/],
    [{ key: 'X-A', value: 'a\u0007b' }, 'value', /control characters/],
    [{ key: 'X-A', value: 'v', space: 0 }, 'space', /integer from 1/],
    [{ key: 'X-A', value: 'v', space: '1' }, 'space', /integer/],
    [{ key: 'X-A', value: 'v', role: '' }, 'role', /must not be empty/],
    [{ value: 'v' }, 'key', /string/],
    [{ key: 'X-A' }, 'value', /string/],
  ])('refuses %j naming %s', (body, field, message) => {
    const { errors } = checkBody(CustomHeaderBodyDto, body);
    expect(errors.map((e) => e.field)).toContain(field);
    expect(errors.find((e) => e.field === field)!.message).toMatch(message);
  });
});
