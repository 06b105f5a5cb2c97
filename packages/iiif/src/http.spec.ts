import { IMAGE_V3_CONTENT_TYPE, infoContentType, profileLinkHeader, versionFromAccept } from './http';
import type { IiifVersion } from './types';

const V2 = 'http://iiif.io/api/image/2/context.json';
const V3 = 'http://iiif.io/api/image/3/context.json';

describe('profileLinkHeader (3.0 §6)', () => {
  it.each<[IiifVersion, 0 | 1 | 2, string]>([
    [3, 2, '<http://iiif.io/api/image/3/level2.json>;rel="profile"'],
    [3, 0, '<http://iiif.io/api/image/3/level0.json>;rel="profile"'],
    [2, 2, '<http://iiif.io/api/image/2/level2.json>;rel="profile"'],
    [2, 1, '<http://iiif.io/api/image/2/level1.json>;rel="profile"'],
  ])('v%d level%d', (v, l, expected) => {
    expect(profileLinkHeader(v, l)).toBe(expected);
  });
});

describe('versionFromAccept (3.0 §5.1)', () => {
  it.each<[string | undefined, IiifVersion | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['*/*', undefined],
    ['application/json', undefined],
    ['application/ld+json', undefined],
    [`application/ld+json;profile="${V2}"`, 2],
    [`application/ld+json;profile="${V3}"`, 3],
    [`application/ld+json; profile="${V3}"`, 3],
    [`application/ld+json;profile=${V2}`, 2],
    [`application/ld+json;profile="https://iiif.io/api/image/3/context.json"`, 3],
    [`application/json;profile="${V2}"`, 2],
    [`application/ld+json;profile="${V2}";q=0.5, application/ld+json;profile="${V3}"`, 3],
    [`application/ld+json;profile="${V2}", application/ld+json;profile="${V3}";q=0.9`, 2],
    [`application/ld+json;profile="${V2}", application/ld+json;profile="${V3}"`, 2],
    [`application/ld+json;profile="${V2}";q=0`, undefined],
    [`application/ld+json;profile="http://example.org/x ${V2}"`, 2],
    ['application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"', undefined],
    ['application/ld+json;profile="http://iiif.io/api/image/1/context.json"', undefined],
    ['text/html, application/xhtml+xml, */*;q=0.8', undefined],
  ])('%j → %s', (accept, expected) => {
    expect(versionFromAccept(accept)).toBe(expected);
  });
});

describe('infoContentType (3.0 §5.1, 2.1 §5.1)', () => {
  it.each<[IiifVersion, string | undefined, string]>([
    [3, undefined, IMAGE_V3_CONTENT_TYPE],
    [3, '*/*', IMAGE_V3_CONTENT_TYPE],
    [3, 'application/ld+json', IMAGE_V3_CONTENT_TYPE],
    [3, 'application/json', 'application/json'],
    [3, 'application/json, */*;q=0.1', IMAGE_V3_CONTENT_TYPE],
    [3, 'application/json, application/ld+json', IMAGE_V3_CONTENT_TYPE],
    [2, undefined, 'application/json'],
    [2, '*/*', 'application/json'],
    [2, 'application/json', 'application/json'],
    [2, 'application/ld+json', 'application/ld+json'],
    [2, `application/ld+json;profile="${V2}"`, 'application/ld+json'],
    [2, 'application/ld+json;q=0', 'application/json'],
  ])('v%d Accept %j → %s', (v, accept, expected) => {
    expect(infoContentType(v, accept)).toBe(expected);
  });
});
