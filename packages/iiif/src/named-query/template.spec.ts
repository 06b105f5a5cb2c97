import {
  NAMED_QUERY_KEYS,
  NamedQueryError,
  parseNamedQueryTemplate,
  TEMPLATE_MAX_LENGTH,
  type NamedQueryTemplate,
} from './template';

const arg = (index: number) => ({ kind: 'argument' as const, index });
const lit = <T extends string | number>(value: T) => ({ kind: 'literal' as const, value });

/** The problems a template is refused with ([] when it parses). */
function problemsOf(template: string): readonly string[] {
  try {
    parseNamedQueryTemplate(template);
    return [];
  } catch (e) {
    if (e instanceof NamedQueryError) return e.problems;
    throw e;
  }
}

describe('named-query templates (SPEC.md §7)', () => {
  it('parses the example of the spec', () => {
    expect(parseNamedQueryTemplate('manifest=s1&canvas=n2&s1=p1&space=p2')).toEqual<NamedQueryTemplate>({
      source: 'manifest=s1&canvas=n2&s1=p1&space=p2',
      manifest: 's1',
      assetOrder: [{ field: 'n2', direction: 'asc' }],
      conditions: [
        { key: 's1', value: arg(1) },
        { key: 'space', value: arg(2) },
      ],
      text: {},
      arity: 2,
    });
  });

  describe('every key, as a literal and as an argument', () => {
    it.each<[string, Partial<NamedQueryTemplate>]>([
      ['space=5', { conditions: [{ key: 'space', value: lit(5) }], arity: 0 }],
      ['space=p1', { conditions: [{ key: 'space', value: arg(1) }], arity: 1 }],
      ['spacename=books', { conditions: [{ key: 'spacename', value: lit('books') }] }],
      ['spacename=p3', { conditions: [{ key: 'spacename', value: arg(3) }], arity: 3 }],
      ['s1=b12345', { conditions: [{ key: 's1', value: lit('b12345') }] }],
      ['s2=p1', { conditions: [{ key: 's2', value: arg(1) }], arity: 1 }],
      ['s3=with spaces and = sign', { conditions: [{ key: 's3', value: lit('with spaces and = sign') }] }],
      ['n1=0', { conditions: [{ key: 'n1', value: lit(0) }] }],
      ['n2=-7', { conditions: [{ key: 'n2', value: lit(-7) }] }],
      ['n3=2147483647', { conditions: [{ key: 'n3', value: lit(2147483647) }] }],
      ['n1=-2147483648', { conditions: [{ key: 'n1', value: lit(-2147483648) }] }],
      ['n3=p2', { conditions: [{ key: 'n3', value: arg(2) }], arity: 2 }],
      ['tag=digitised', { conditions: [{ key: 'tag', value: lit('digitised') }] }],
      ['tag=p1', { conditions: [{ key: 'tag', value: arg(1) }], arity: 1 }],
      ['batch=42', { conditions: [{ key: 'batch', value: lit(42) }] }],
      ['batch=p1', { conditions: [{ key: 'batch', value: arg(1) }], arity: 1 }],
      ['manifest=n3', { manifest: 'n3' }],
      ['objectname=book-{s1}.pdf', { text: { objectname: lit('book-{s1}.pdf') } }],
      ['objectname=p2', { text: { objectname: arg(2) }, arity: 2 }],
      [
        'coverpage=https://example.org/cover/{s1}',
        { text: { coverpage: lit('https://example.org/cover/{s1}') } },
      ],
      ['redactedmessage=Not available', { text: { redactedmessage: lit('Not available') } }],
      ['redactedmessage=p1', { text: { redactedmessage: arg(1) }, arity: 1 }],
      // Literals that merely start with "p" followed by a lower-case letter, and "p" alone, are literals.
      ['s1=paris', { conditions: [{ key: 's1', value: lit('paris') }] }],
      ['spacename=photos', { conditions: [{ key: 'spacename', value: lit('photos') }] }],
      ['s1=p', { conditions: [{ key: 's1', value: lit('p') }] }],
      ['tag=P1', { conditions: [{ key: 'tag', value: lit('P1') }] }],
      ['s1=p99', { conditions: [{ key: 's1', value: arg(99) }], arity: 99 }],
    ])('%s', (template, expected) => {
      expect(parseNamedQueryTemplate(template)).toMatchObject(expected);
    });
  });

  describe('assetOrder (alias canvas)', () => {
    it.each<[string, NamedQueryTemplate['assetOrder']]>([
      ['assetOrder=n1', [{ field: 'n1', direction: 'asc' }]],
      [
        'assetOrder=n1;n2 desc;s1',
        [
          { field: 'n1', direction: 'asc' },
          { field: 'n2', direction: 'desc' },
          { field: 's1', direction: 'asc' },
        ],
      ],
      ['canvas=n2', [{ field: 'n2', direction: 'asc' }]],
      ['assetOrder=s3+desc', [{ field: 's3', direction: 'desc' }]],
      ['assetOrder=n3 ASC', [{ field: 'n3', direction: 'asc' }]],
      ['assetOrder=n3  Desc', [{ field: 'n3', direction: 'desc' }]],
    ])('%s', (template, order) => {
      expect(parseNamedQueryTemplate(template).assetOrder).toEqual(order);
    });

    it.each<[string, RegExp]>([
      ['assetOrder=n4', /assetOrder term "n4" must be <field>\[ asc\|desc\]/],
      ['assetOrder=n1;;n2', /assetOrder term ""/],
      ['assetOrder=n1;', /assetOrder term ""/],
      ['assetOrder=n1 sideways', /assetOrder term "n1 sideways"/],
      ['assetOrder=n1 desc extra', /assetOrder term "n1 desc extra"/],
      ['canvas=id', /canvas term "id"/],
      ['assetOrder=p1', /assetOrder term "p1"/],
    ])('%s is refused', (template, message) => {
      expect(problemsOf(template).join('\n')).toMatch(message);
    });
  });

  it('combines keys, in template order, with the highest argument as arity', () => {
    const t = parseNamedQueryTemplate('s1=p3&space=p1&n1=p2&tag=open&assetOrder=n1 desc&objectname=p4');
    expect(t.conditions.map((c) => c.key)).toEqual(['s1', 'space', 'n1', 'tag']);
    expect(t.arity).toBe(4);
    expect(t.text.objectname).toEqual(arg(4));
  });

  it('ignores empty pairs and splits each pair at its first "="', () => {
    expect(parseNamedQueryTemplate('&s1=a=b&&space=1&').conditions).toEqual([
      { key: 's1', value: lit('a=b') },
      { key: 'space', value: lit(1) },
    ]);
  });

  describe('refuses, naming the problem', () => {
    it.each<[string, RegExp]>([
      ['', /template is empty/],
      ['   ', /template is empty/],
      ['&&', /no key=value pair/],
      ['test', /"test" is not key=value/],
      ['s4=x', /unknown key "s4" \(known keys: space, spacename, s1/],
      ['Space=1', /unknown key "Space"/],
      ['assetorder=n1', /unknown key "assetorder"/],
      ['=value', /unknown key ""/],
      ['#=1', /unknown key "#"/],
      ['s1=', /s1 has an empty value/],
      // Bad argument references.
      ['s1=p0', /s1: "p0" is not an argument reference: use p1 to p99/],
      ['s1=p-1', /s1: "p-1" is not an argument reference/],
      ['s1=pX', /s1: "pX" is not an argument reference/],
      ['space=p1a', /space: "p1a" is not an argument reference/],
      ['s1=p01', /"p01" is not an argument reference/],
      ['s1=p100', /"p100" is not an argument reference/],
      ['s1=p 1', /"p 1" is not an argument reference/],
      // Literals that are not integers for the number keys.
      ['n1=abc', /n1 must be an integer or an argument \(pN\), not "abc"/],
      ['n2=1.5', /n2 must be an integer or an argument/],
      ['n3=1e3', /n3 must be an integer/],
      ['n1=+1', /n1 must be an integer/],
      ['n1=2147483648', /n1 must be an integer/],
      ['n1= 1', /n1 must be an integer/],
      ['space=books', /space must be a positive integer or an argument \(pN\), not "books"/],
      ['space=0', /space must be a positive integer/],
      ['space=-1', /space must be a positive integer/],
      ['batch=x', /batch must be a positive integer/],
      ['batch=0', /batch must be a positive integer/],
      // manifest names a field.
      ['manifest=p1', /manifest must be one of s1, s2, s3, n1, n2, n3, not "p1"/],
      ['manifest=string1', /manifest must be one of/],
      // A key once.
      ['s1=a&s1=b', /key "s1" is given twice/],
      ['canvas=n1&assetOrder=n2', /"assetOrder" repeats "canvas"/],
      ['assetOrder=n1&canvas=n2', /"canvas" repeats "assetOrder"/],
    ])('%j', (template, message) => {
      const problems = problemsOf(template);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.join('\n')).toMatch(message);
    });

    it('an over-long template', () => {
      expect(problemsOf(`s1=${'x'.repeat(TEMPLATE_MAX_LENGTH)}`)).toEqual([
        `template is longer than ${TEMPLATE_MAX_LENGTH} characters`,
      ]);
    });

    it('every problem at once, with status 400 and a joined message', () => {
      let error: unknown;
      try {
        parseNamedQueryTemplate('s9=1&n1=abc&s1=p0&manifest=x');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NamedQueryError);
      const e = error as NamedQueryError;
      expect(e.status).toBe(400);
      expect(e.problems).toHaveLength(4);
      expect(e.message).toBe(e.problems.join('; '));
    });
  });

  it('knows every key of SPEC.md §7', () => {
    expect([...NAMED_QUERY_KEYS].sort()).toEqual(
      [
        'space',
        'spacename',
        's1',
        's2',
        's3',
        'n1',
        'n2',
        'n3',
        'tag',
        'batch',
        'manifest',
        'assetOrder',
        'canvas',
        'objectname',
        'coverpage',
        'redactedmessage',
      ].sort(),
    );
  });
});
