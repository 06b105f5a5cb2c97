import {
  escapeHtml,
  renderErrorPage,
  renderViewerPage,
  viewerCsp,
  type ViewerPageInput,
} from './viewer-page';

const input = (over: Partial<ViewerPageInput> = {}): ViewerPageInput => ({
  assetId: 'photo-1',
  location: '7/3',
  infoJsonV3: 'https://img.example.org/iiif-img/7/3/photo-1/info.json',
  infoJsonV2: 'https://img.example.org/iiif-img/v2/7/3/photo-1/info.json',
  thumbnail: 'https://img.example.org/thumbs/7/3/photo-1/full/max/0/default.jpg',
  assetsHref: '../../assets/',
  versions: { openSeadragon: '5.0.1', script: 'abc', style: 'def' },
  ...over,
});

describe('escapeHtml', () => {
  it.each([
    ['plain', 'plain'],
    ['<script>', '&#60;script&#62;'],
    ['a & b', 'a &#38; b'],
    [`"'`, '&#34;&#39;'],
    ['&#60;', '&#38;#60;'],
  ])('%s → %s', (raw, escaped) => expect(escapeHtml(raw)).toBe(escaped));
});

describe('renderViewerPage', () => {
  it('puts the tile source and the button prefix in data- attributes and loads both scripts from the assets', () => {
    const html = renderViewerPage(input());
    expect(html).toContain('<title>photo-1</title>');
    expect(html).toContain('data-tile-source="https://img.example.org/iiif-img/7/3/photo-1/info.json"');
    expect(html).toContain('data-prefix-url="../../assets/images/"');
    expect(html).toContain('<script src="../../assets/openseadragon.min.js?v=5.0.1"></script>');
    expect(html).toContain('<script src="../../assets/vellum-viewer.js?v=abc"></script>');
    expect(html).toContain('href="../../assets/vellum-viewer.css?v=def"');
    expect(html).toContain('>info.json (3.0)</a>');
    expect(html).toContain('>info.json (2.1)</a>');
    expect(html).toContain('>thumbnail</a>');
  });

  it('omits the thumbnail link without thumbnails', () => {
    expect(renderViewerPage(input({ thumbnail: undefined }))).not.toContain('thumbnail</a>');
  });

  it('escapes every value, so markup in an id or URL never reaches the page raw', () => {
    const evil = `"><script>alert(1)</script><x y='`;
    const html = renderViewerPage(
      input({ assetId: evil, location: evil, infoJsonV3: evil, infoJsonV2: evil, thumbnail: evil }),
    );
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain(`<x y=`);
    expect(html.match(/<script/g)).toHaveLength(2);
  });
});

describe('renderErrorPage', () => {
  it('shows the status and the escaped detail', () => {
    const html = renderErrorPage(404, 'Not Found', 'Asset 1/2/<b> not found', '../../assets/');
    expect(html).toContain('<title>404 Not Found</title>');
    expect(html).toContain('Asset 1/2/&#60;b&#62; not found');
    expect(html).not.toContain('<b>');
  });
});

describe('viewerCsp', () => {
  it('allows scripts and styles from self only, tiles and info.json from self and the image origin', () => {
    const csp = viewerCsp('https://img.example.org');
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob: https://img.example.org",
      "connect-src 'self' https://img.example.org",
      "base-uri 'none'",
      "form-action 'none'",
    ]);
  });
});
