import { Script } from 'node:vm';
import {
  MANIFEST_PARAM_MAX,
  MIRADOR_JS,
  MIRADOR_WINDOW_ID,
  miradorCsp,
  renderMiradorPage,
  resolveManifestParam,
  type MiradorPageInput,
} from './mirador-page';

const BASE = 'https://iiif.example.org/dlcs';
const EXPECTED = `Expected ?manifest= the URL of a manifest on ${BASE} (or its path, e.g. /iiif-resource/{customer}/{query}/{args})`;

describe('resolveManifestParam', () => {
  it.each([
    // absolute, on the public base's origin (the path prefix is the caller's business)
    [
      'https://iiif.example.org/dlcs/iiif-resource/2/book/b1',
      'https://iiif.example.org/dlcs/iiif-resource/2/book/b1',
    ],
    [
      'https://iiif.example.org/dlcs/iiif-manifest/v2/2/1/p-1',
      'https://iiif.example.org/dlcs/iiif-manifest/v2/2/1/p-1',
    ],
    ['https://IIIF.example.org:443/other/path', 'https://iiif.example.org/other/path'],
    // a path: under the public base, prefix included
    ['/iiif-resource/2/book/b1', 'https://iiif.example.org/dlcs/iiif-resource/2/book/b1'],
    ['/iiif-resource/2/book/a%2Fb?x=1', 'https://iiif.example.org/dlcs/iiif-resource/2/book/a%2Fb?x=1'],
  ])('%s → %s', (raw, url) => {
    expect(resolveManifestParam(raw, BASE)).toEqual({ ok: true, url });
  });

  it('resolves a path against a base without a prefix', () => {
    expect(resolveManifestParam('/iiif-resource/2/q/x', 'http://localhost:3001')).toEqual({
      ok: true,
      url: 'http://localhost:3001/iiif-resource/2/q/x',
    });
  });

  it.each([
    [undefined, `No manifest given. ${EXPECTED}.`],
    ['', `No manifest given. ${EXPECTED}.`],
    [['/a', '/b'], `No manifest given. ${EXPECTED}.`],
    [{ a: '1' }, `No manifest given. ${EXPECTED}.`],
    [
      'https://evil.example.com/manifest.json',
      'This viewer opens manifests of https://iiif.example.org only, not of https://evil.example.com.',
    ],
    [
      'http://iiif.example.org/dlcs/iiif-resource/2/q/x',
      'This viewer opens manifests of https://iiif.example.org only, not of http://iiif.example.org.',
    ],
    [
      'https://iiif.example.org:8443/x',
      'This viewer opens manifests of https://iiif.example.org only, not of https://iiif.example.org:8443.',
    ],
    [
      '//evil.example.com/manifest.json',
      `Not a manifest URL of this service: //evil.example.com/manifest.json. ${EXPECTED}.`,
    ],
    [
      '/\\evil.example.com/manifest.json',
      `Not a manifest URL of this service: /\\evil.example.com/manifest.json. ${EXPECTED}.`,
    ],
    [
      'https://user:pw@iiif.example.org/x',
      `Not a manifest URL of this service: https://user:pw@iiif.example.org/x. ${EXPECTED}.`,
    ],
    ['javascript:alert(1)', `Not a manifest URL of this service: javascript:alert(1). ${EXPECTED}.`],
    [
      'data:application/json,{}',
      `Not a manifest URL of this service: data:application/json,{}. ${EXPECTED}.`,
    ],
    ['iiif-resource/2/q/x', `Not a manifest URL of this service: iiif-resource/2/q/x. ${EXPECTED}.`],
    [
      `/${'a'.repeat(MANIFEST_PARAM_MAX)}`,
      `The manifest URL is longer than ${MANIFEST_PARAM_MAX} characters.`,
    ],
  ])('refuses %j', (raw, detail) => {
    expect(resolveManifestParam(raw, BASE)).toEqual({ ok: false, detail });
  });
});

const input = (over: Partial<MiradorPageInput> = {}): MiradorPageInput => ({
  manifest: 'https://iiif.example.org/iiif-resource/2/book/b1',
  assetsHref: 'assets/',
  versions: { mirador: '4.0.0', script: 'abc', style: 'def' },
  ...over,
});

describe('renderMiradorPage', () => {
  it('puts the manifest in a data- attribute and loads Mirador and the page script from the assets', () => {
    const html = renderMiradorPage(input());
    expect(html).toContain(
      '<main id="mirador" data-manifest="https://iiif.example.org/iiif-resource/2/book/b1"></main>',
    );
    expect(html).toContain('<script src="assets/mirador.min.js?v=4.0.0"></script>');
    expect(html).toContain('<script src="assets/vellum-mirador.js?v=abc"></script>');
    expect(html).toContain('href="assets/vellum-viewer.css?v=def"');
    expect(html).toContain('<a href="https://iiif.example.org/iiif-resource/2/book/b1">manifest</a>');
    expect(html.match(/<script/g)).toHaveLength(2);
  });

  it('escapes every value, so markup in the manifest URL never reaches the page raw', () => {
    const evil = `https://iiif.example.org/x?"><script>alert(1)</script><x y='`;
    const html = renderMiradorPage(input({ manifest: evil, assetsHref: evil }));
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<x y=');
    expect(html.match(/<script/g)).toHaveLength(2);
  });
});

describe('miradorCsp', () => {
  it('scripts from self only; inline styles (Emotion); manifests and images from self and the public origin', () => {
    expect(miradorCsp('https://iiif.example.org').split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob: https://iiif.example.org",
      "connect-src 'self' https://iiif.example.org",
      "base-uri 'none'",
      "form-action 'none'",
    ]);
  });
});

describe('MIRADOR_JS', () => {
  it('opens the data-manifest in one window, canvas index open, every canvas whole', () => {
    expect(MIRADOR_JS).toContain(`id: '${MIRADOR_WINDOW_ID}'`);
    expect(MIRADOR_JS).toContain("manifestId: el.getAttribute('data-manifest')");
    expect(MIRADOR_JS).toContain("defaultSideBarPanel: 'canvas'");
    expect(MIRADOR_JS).toContain('preserveViewport: false');
    // It parses (compiled, not run).
    expect(() => new Script(MIRADOR_JS)).not.toThrow();
  });
});
