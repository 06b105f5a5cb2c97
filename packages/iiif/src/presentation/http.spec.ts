import {
  PRESENTATION_V2_CONTENT_TYPE,
  PRESENTATION_V3_CONTENT_TYPE,
  presentationContentType,
  presentationVersionFromAccept,
} from './http';

describe('Presentation content negotiation', () => {
  it.each<[string | undefined, 2 | 3 | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['application/json', undefined],
    ['*/*', undefined],
    ['application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"', 2],
    ['application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"', 3],
    ['application/ld+json;profile="https://iiif.io/api/presentation/2/context.json"', 2],
    // The highest q wins; q=0 is ignored; an Image API profile is not a Presentation one.
    [
      'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json";q=0.5, ' +
        'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json";q=0.9',
      3,
    ],
    ['application/ld+json;profile="http://iiif.io/api/presentation/2/context.json";q=0', undefined],
    ['application/ld+json;profile="http://iiif.io/api/image/2/context.json"', undefined],
    ['application/ld+json;profile="http://iiif.io/api/presentation/4/context.json"', undefined],
  ])('%j → %s', (accept, version) => {
    expect(presentationVersionFromAccept(accept)).toBe(version);
  });

  it('content types carry the version context as profile', () => {
    expect(presentationContentType(3)).toBe(PRESENTATION_V3_CONTENT_TYPE);
    expect(PRESENTATION_V3_CONTENT_TYPE).toBe(
      'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"',
    );
    expect(presentationContentType(2)).toBe(
      'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"',
    );
    expect(PRESENTATION_V2_CONTENT_TYPE).toBe(presentationContentType(2));
  });
});
