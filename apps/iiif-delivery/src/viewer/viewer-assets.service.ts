import { Injectable } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { etagOf } from '../http-cache';
import { MIRADOR_JS } from './mirador-page';
import { VIEWER_CSS, VIEWER_JS } from './viewer-page';

/** One file the viewer loads: its bytes, content type and strong ETag. */
export interface ViewerAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
};

/** Names (under `/viewer/assets/`) of the pages' own scripts and stylesheet, served from memory. */
export const VIEWER_SCRIPT_NAME = 'vellum-viewer.js';
export const VIEWER_STYLE_NAME = 'vellum-viewer.css';
export const MIRADOR_SCRIPT_NAME = 'vellum-mirador.js';

/** The pages' own files, whose content hash {@link ViewerAssets.hashOf} gives. */
export type OwnViewerFile = typeof VIEWER_SCRIPT_NAME | typeof VIEWER_STYLE_NAME | typeof MIRADOR_SCRIPT_NAME;

/**
 * The static files of the viewer pages (`GET /viewer/assets/{name}`): OpenSeadragon from its npm package
 * (`openseadragon`, BSD-3-Clause), Mirador's browser bundle from its npm package (`mirador`, Apache-2.0), and the
 * pages' own scripts and stylesheet.
 *
 * The package directories are found with `require.resolve('openseadragon/package.json')` and
 * `require.resolve('mirador')` (Mirador exports no `package.json`; its CommonJS entry is `dist/mirador.min.js`, the
 * self-contained UMD bundle with React, MUI and OpenSeadragon inside). Only an **allow-list built at start** is
 * served: `openseadragon.min.js` (+ its source map) and `images/*.png` (the navigation buttons, OpenSeadragon's
 * `prefixUrl`) from `build/openseadragon/`, `mirador.min.js` (+ its source map) from Mirador's `dist/`, each also
 * checked to lie inside its directory. A request name is looked up in the list, never joined to a path, so `..`,
 * `%2F`, absolute paths or symlink tricks cannot reach other files. Package files are read on first use and kept in
 * memory (≈ 0.4 MB for OpenSeadragon, 2.4 MB for Mirador, and the source maps only when asked for).
 */
@Injectable()
export class ViewerAssets {
  /** The OpenSeadragon version (`package.json` `version`), for cache-busting query strings. */
  readonly openSeadragonVersion: string;
  /** The Mirador version (its `package.json` `version`), for cache-busting query strings. */
  readonly miradorVersion: string;
  /** Request name → absolute file path (package files) or ready asset (own files). */
  private readonly files = new Map<string, string>();
  private readonly loaded = new Map<string, ViewerAsset>();

  constructor() {
    const pkgJson = require.resolve('openseadragon/package.json');
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: string };
    this.openSeadragonVersion = pkg.version ?? '0';
    const buildDir = path.join(path.dirname(pkgJson), 'build', 'openseadragon');
    const add = (name: string): void => {
      const file = path.resolve(buildDir, name);
      if (file.startsWith(buildDir + path.sep)) this.files.set(name, file);
    };
    add('openseadragon.min.js');
    add('openseadragon.min.js.map');
    for (const f of readdirSync(path.join(buildDir, 'images'))) {
      if (/^[a-z0-9_]+\.png$/.test(f)) add(`images/${f}`);
    }
    if (!this.files.has('openseadragon.min.js'))
      throw new Error(`openseadragon.min.js not found in ${buildDir}`);
    const miradorDist = path.dirname(require.resolve('mirador'));
    const miradorPkg = JSON.parse(readFileSync(path.join(miradorDist, '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    this.miradorVersion = miradorPkg.version ?? '0';
    for (const name of ['mirador.min.js', 'mirador.min.js.map']) {
      const file = path.resolve(miradorDist, name);
      if (file.startsWith(miradorDist + path.sep) && existsSync(file)) this.files.set(name, file);
    }
    if (!this.files.has('mirador.min.js')) throw new Error(`mirador.min.js not found in ${miradorDist}`);
    for (const [name, text] of [
      [VIEWER_SCRIPT_NAME, VIEWER_JS],
      [VIEWER_STYLE_NAME, VIEWER_CSS],
      [MIRADOR_SCRIPT_NAME, MIRADOR_JS],
    ] as const) {
      this.loaded.set(name, this.asset(name, Buffer.from(text)));
    }
  }

  /** Every servable name (e.g. `openseadragon.min.js`, `images/zoomin_rest.png`, `vellum-viewer.js`). */
  names(): string[] {
    return [...new Set([...this.files.keys(), ...this.loaded.keys()])].sort();
  }

  /** A short content hash of one of the viewer's own files, for cache-busting query strings. */
  hashOf(name: OwnViewerFile): string {
    return this.loaded.get(name)!.etag.slice(1, 11);
  }

  /**
   * The file served as `/viewer/assets/{name}` (`name` decoded, e.g. `images/home_rest.png`), or undefined when
   * it is not on the allow-list.
   */
  async get(name: string): Promise<ViewerAsset | undefined> {
    const hit = this.loaded.get(name);
    if (hit) return hit;
    const file = this.files.get(name);
    if (!file) return undefined;
    const asset = this.asset(name, await readFile(file));
    this.loaded.set(name, asset);
    return asset;
  }

  private asset(name: string, body: Buffer): ViewerAsset {
    return {
      body,
      contentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
      etag: etagOf('viewer-asset', name, body.toString('base64')),
    };
  }
}
