import { readFileSync } from 'node:fs';
import { convertPresentation2 } from '@iiif/parser/presentation-2';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fixturePath } from './fixtures';

/**
 * The IIIF Presentation 3 JSON schema in the repository's fixtures (`fixtures/iiif/presentation-3.schema.json`,
 * from IIIF/presentation-validator; see fixtures/PROVENANCE.md).
 */
export const PRESENTATION_3_SCHEMA = 'iiif/presentation-3.schema.json';

let compiled: ValidateFunction | undefined;

/**
 * What the IIIF Presentation 3 JSON schema says is wrong with `doc` (ajv, draft-07, every error, formats
 * checked): `["<JSON pointer> <message>", ...]`, empty when it validates. Use
 * `expect(presentation3SchemaErrors(manifest)).toEqual([])` so a failure lists the problems.
 */
export function presentation3SchemaErrors(doc: unknown): string[] {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    compiled = ajv.compile(JSON.parse(readFileSync(fixturePath(PRESENTATION_3_SCHEMA), 'utf8')) as object);
  }
  if (compiled(doc)) return [];
  return (compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}

/**
 * Upgrades a IIIF Presentation 2.1 document to 3.0 with `@iiif/parser` (the IIIF community's parser, which
 * viewers such as the Universal Viewer build on). Throws what the parser throws. `doc` is left as it was.
 */
export function upgradePresentation2(doc: unknown): Record<string, unknown> {
  // The parser rewrites parts of what it is given: upgrade a copy.
  return convertPresentation2(structuredClone(doc)) as Record<string, unknown>;
}
