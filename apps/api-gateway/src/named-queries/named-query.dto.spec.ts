import { fieldsOf } from '../http/body-contract';
import { namedQueryNameProblem, NamedQueryBodyDto, templateProblem } from './named-query.dto';
import { NAMED_QUERY_FIELDS } from './named-query.fields';

describe('named-query body', () => {
  it("has exactly the field table's writable keys", () => {
    expect([...fieldsOf(NamedQueryBodyDto)].sort()).toEqual([...NAMED_QUERY_FIELDS.writable].sort());
  });

  it.each<[unknown, RegExp | null]>([
    ['bookquery', null],
    ['manifest', null],
    ['my-query_1.v2~x', null],
    ['a'.repeat(100), null],
    ['', /non-empty/],
    [7, /non-empty string/],
    ['a'.repeat(101), /1 to 100/],
    ['with space', /one URL path segment/],
    ['a/b', /one URL path segment/],
    ['é', /one URL path segment/],
    ['.', /dots only/],
    ['..', /dots only/],
  ])('name %j', (name, expected) => {
    const p = namedQueryNameProblem(name);
    if (expected === null) expect(p).toBeNull();
    else expect(p).toMatch(expected);
  });

  it('reports the template parser message', () => {
    expect(templateProblem('manifest=s1&canvas=n2&s1=p1&space=p2')).toBeNull();
    expect(templateProblem('s9=1')).toMatch(/^template is not valid: unknown key "s9"/);
    expect(templateProblem(5)).toBe('template must be a string');
  });
});
