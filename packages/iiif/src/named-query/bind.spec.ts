import { bindNamedQuery, parseNamedQueryArguments, type BoundNamedQuery } from './bind';
import { NamedQueryError, parseNamedQueryTemplate } from './template';

function bindProblems(template: string, args: string[]): readonly string[] {
  try {
    bindNamedQuery(template, args);
    return [];
  } catch (e) {
    if (e instanceof NamedQueryError) return e.problems;
    throw e;
  }
}

describe('binding a named query to its arguments (SPEC.md §7)', () => {
  it('binds the example of the spec: /iiif-resource/{c}/bookquery/b12345/5', () => {
    expect(
      bindNamedQuery('manifest=s1&canvas=n2&s1=p1&space=p2', parseNamedQueryArguments('b12345/5')),
    ).toEqual<BoundNamedQuery>({
      conditions: { string1: 'b12345', space: 5 },
      manifest: 'string1',
      order: [{ field: 'number2', direction: 'asc' }],
    });
  });

  it.each<[string, string[], Partial<BoundNamedQuery>]>([
    // Literals are used as they are.
    [
      'space=3&s2=x&n3=-4&batch=9&tag=t',
      [],
      { conditions: { space: 3, string2: 'x', number3: -4, batch: 9, tag: 't' } },
    ],
    ['spacename=p1', ['books'], { conditions: { spaceName: 'books' } }],
    [
      'n1=p1&n2=p2&n3=p3',
      ['1', '-2', '2147483647'],
      { conditions: { number1: 1, number2: -2, number3: 2147483647 } },
    ],
    ['batch=p1&tag=p2', ['12', 'open'], { conditions: { batch: 12, tag: 'open' } }],
    // Trailing arguments omitted: the conditions using them are dropped.
    ['s1=p1&space=p2', ['b1'], { conditions: { string1: 'b1' } }],
    ['s1=p1&n1=p3&space=5', ['a'], { conditions: { string1: 'a', space: 5 } }],
    // Extra arguments are ignored.
    ['s1=p1', ['a', 'b', 'c'], { conditions: { string1: 'a' } }],
    // A template without arguments binds to none (and ignores any).
    ['space=1', [], { conditions: { space: 1 } }],
    ['space=1', ['x'], { conditions: { space: 1 } }],
    // The same argument twice.
    ['s1=p1&s2=p1', ['z'], { conditions: { string1: 'z', string2: 'z' } }],
    // String keys take any argument, digits included.
    ['s1=p1', ['007'], { conditions: { string1: '007' } }],
    // assetOrder and manifest need no arguments.
    [
      'assetOrder=n1;n2 desc;s1&manifest=n3&s1=p1',
      ['x'],
      {
        manifest: 'number3',
        order: [
          { field: 'number1', direction: 'asc' },
          { field: 'number2', direction: 'desc' },
          { field: 'string1', direction: 'asc' },
        ],
      },
    ],
    // PDF/ZIP texts: literal, argument, dropped when the argument is missing.
    [
      'objectname=p2&coverpage=https://x.org/c&redactedmessage=Hidden&s1=p1',
      ['a', 'book.pdf'],
      { objectName: 'book.pdf', coverPage: 'https://x.org/c', redactedMessage: 'Hidden' },
    ],
    ['objectname=p2&s1=p1', ['a'], { conditions: { string1: 'a' } }],
  ])('%s with %j', (template, args, expected) => {
    const bound = bindNamedQuery(template, args);
    expect(bound).toMatchObject(expected);
    if (expected.conditions) expect(bound.conditions).toEqual(expected.conditions);
    if (!('objectName' in expected)) expect(bound.objectName).toBeUndefined();
  });

  it('takes a parsed template as well as its text', () => {
    const t = parseNamedQueryTemplate('s1=p1');
    expect(bindNamedQuery(t, ['q'])).toEqual(bindNamedQuery('s1=p1', ['q']));
  });

  it.each<[string, string[], RegExp]>([
    ['s1=p1&space=p2', [], /takes up to 2 arguments; none given/],
    ['s1=p1', [], /takes an argument; none given/],
    ['space=p1', ['five'], /argument p1 for space must be a positive integer, not "five"/],
    ['space=p1', ['0'], /space must be a positive integer/],
    ['batch=p1', ['-3'], /batch must be a positive integer/],
    ['n1=p1', ['1.5'], /argument p1 for n1 must be an integer, not "1.5"/],
    ['n2=p2&s1=p1', ['a', '2147483648'], /argument p2 for n2 must be an integer/],
    ['n3=p1', [' 1'], /n3 must be an integer/],
    ['s4=p1', ['a'], /unknown key "s4"/],
  ])('%s with %j is refused', (template, args, message) => {
    expect(bindProblems(template, args).join('\n')).toMatch(message);
  });

  it('lists every bad argument', () => {
    expect(bindProblems('space=p1&n1=p2', ['x', 'y'])).toHaveLength(2);
  });
});

describe('named-query URL arguments', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['b12345/5', ['b12345', '5']],
    ['a%2Fb/5', ['a/b', '5']],
    ['with%20space//trailing/', ['with space', 'trailing']],
    ['%C3%A9t%C3%A9', ['été']],
  ])('%j → %j', (tail, args) => {
    expect(parseNamedQueryArguments(tail)).toEqual(args);
  });

  it('refuses bad percent-encoding, naming the argument', () => {
    expect(() => parseNamedQueryArguments('ok/%E0%A4%A')).toThrow(/argument 2 is not valid percent-encoding/);
  });
});
