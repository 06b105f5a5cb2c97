import { MIRADOR_JS } from './mirador-page';
import {
  MIRADOR_SCRIPT_NAME,
  VIEWER_SCRIPT_NAME,
  VIEWER_STYLE_NAME,
  ViewerAssets,
} from './viewer-assets.service';
import { VIEWER_JS } from './viewer-page';

describe('ViewerAssets', () => {
  const assets = new ViewerAssets();

  it('lists OpenSeadragon, its navigation images, Mirador and the page files', () => {
    const names = assets.names();
    expect(names).toContain('openseadragon.min.js');
    expect(names).toContain('images/zoomin_rest.png');
    expect(names).toContain('mirador.min.js');
    expect(names).toContain('mirador.min.js.map');
    expect(names).toContain(VIEWER_SCRIPT_NAME);
    expect(names).toContain(VIEWER_STYLE_NAME);
    expect(names).toContain(MIRADOR_SCRIPT_NAME);
    expect(names.every((n) => !n.includes('..'))).toBe(true);
    expect(assets.openSeadragonVersion).toMatch(/^5\./);
    expect(assets.miradorVersion).toMatch(/^4\./);
  });

  it("serves Mirador's self-contained browser bundle (UMD: it defines window.Mirador)", async () => {
    const js = await assets.get('mirador.min.js');
    expect(js?.contentType).toBe('application/javascript; charset=utf-8');
    expect(js?.body.toString('utf8', 0, 400)).toContain('G.Mirador={}');
    expect((await assets.get(MIRADOR_SCRIPT_NAME))?.body.toString()).toBe(MIRADOR_JS);
    expect(assets.hashOf(MIRADOR_SCRIPT_NAME)).toMatch(/^[\w-]{10}$/);
  });

  it('serves files with their content types', async () => {
    const js = await assets.get('openseadragon.min.js');
    expect(js?.contentType).toBe('application/javascript; charset=utf-8');
    expect(js?.body.toString('utf8', 0, 4000)).toContain('OpenSeadragon');
    expect((await assets.get('images/home_rest.png'))?.contentType).toBe('image/png');
    expect((await assets.get(VIEWER_SCRIPT_NAME))?.body.toString()).toBe(VIEWER_JS);
    expect((await assets.get(VIEWER_STYLE_NAME))?.contentType).toBe('text/css; charset=utf-8');
    expect(assets.hashOf(VIEWER_SCRIPT_NAME)).toMatch(/^[\w-]{10}$/);
  });

  it.each([
    '../package.json',
    '../../package.json',
    'images/../openseadragon.js',
    '/etc/passwd',
    'openseadragon.js',
    'images',
    'images/',
    '',
    'LICENSE.txt',
    'mirador.es.js',
    '../dist/mirador.min.js',
    '../package.json',
  ])('serves nothing for %j', async (name) => {
    expect(await assets.get(name)).toBeUndefined();
  });
});
